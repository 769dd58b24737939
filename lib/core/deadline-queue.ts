import { monotonicNow } from './deadline';

/** A deadline added to a DeadlineQueue: `cancel()` it once the work it guards has settled. */
export interface Deadline {
  /** Idempotent; after it, the deadline never fires. O(1). */
  cancel(): void;
}

/** What a DeadlineQueue runs on: a monotonic clock in ms and the timer functions (tests pass fakes). */
export interface DeadlineClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): DeadlineTimer;
  clearTimeout(timer: DeadlineTimer): void;
}

/** The part of Node's Timeout that a DeadlineQueue uses. */
export interface DeadlineTimer {
  ref(): unknown;
  unref(): unknown;
}

const SYSTEM_CLOCK: DeadlineClock = {
  now: monotonicNow,
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout),
};

class Entry implements Deadline {
  next: Entry | undefined = undefined;
  done = false;

  constructor(
    private readonly queue: DeadlineQueue,
    readonly at: number,
    public fire: (() => void) | undefined,
  ) {}

  cancel(): void {
    if (!this.done) this.queue.settle(this);
  }
}

/**
 * Many deadlines on one timer, for the per-attempt deadlines of a client wing (one setTimeout and
 * clearTimeout per call cost about 0.6 us of CPU, a measurable share of a 35 us loopback call).
 *
 * The attempts of one client share one `attemptTimeoutMs`, so their deadlines come due in the order
 * they were added: the queue is a FIFO linked list (insert at the tail, O(1)), and ONE timer is
 * armed, for the head. A deadline that is cancelled is only marked done (O(1)); done entries leave
 * from the head, at once when they reach it, so a queue of calls that settle in about the order they
 * started stays as short as the calls in flight. When the timer fires, every due entry fires in
 * order, and the timer is armed again for the next live head, if any (about once per
 * `attemptTimeoutMs` under steady traffic, not once per call). A deadline earlier than the tail's (an
 * attempt cut short by the call's own deadline) is put in order by a walk from the head, rare, O(n).
 *
 * Timing matches a setTimeout per deadline: an entry fires when the timer armed for it (or for an
 * earlier entry) fires, never before its time on the monotonic clock minus what Node's timers
 * themselves allow, and at most about 1 ms after (the timer re-armed in whole ms). While a live
 * deadline is pending the timer holds the process open, as its own setTimeout would; when none is,
 * the timer is unref'd (it may still fire once, to find nothing due).
 *
 * A `fire` that throws does not stop the others: its error is rethrown on the next tick (an
 * uncaught exception, as from a setTimeout callback).
 */
export class DeadlineQueue {
  private head: Entry | undefined;
  private tail: Entry | undefined;
  /** Entries added and neither fired nor cancelled. */
  private live = 0;
  private timer: DeadlineTimer | undefined;
  /** The `at` the timer was armed for; Infinity when none is armed. */
  private armedAt = Infinity;
  private readonly onTimer = () => this.expire();

  constructor(private readonly clock: DeadlineClock = SYSTEM_CLOCK) {}

  /**
   * Runs `fire` once `ms` have passed, unless cancelled first. `ms` must be finite. `now`: the
   * queue's clock (monotonicNow for the system clock) as the caller just read it, to spare a read;
   * read here when not given.
   */
  add(ms: number, fire: () => void, now: number = this.clock.now()): Deadline {
    const at = now + ms;
    const entry = new Entry(this, at, fire);
    const tail = this.tail;
    if (!tail) {
      this.head = this.tail = entry;
    } else if (at >= tail.at) {
      tail.next = entry;
      this.tail = entry;
    } else {
      this.insertInOrder(entry);
    }
    if (this.live++ === 0 && this.timer) this.timer.ref();
    if (at < this.armedAt) this.arm(at);
    return entry;
  }

  /** Deadlines neither fired nor cancelled. */
  get pending(): number {
    return this.live;
  }

  /** Cancels every pending deadline and disarms the timer. */
  clear(): void {
    for (let e = this.head; e; e = e.next) {
      e.done = true;
      e.fire = undefined;
    }
    this.head = this.tail = undefined;
    this.live = 0;
    this.disarm();
  }

  /** @internal Entry.cancel. */
  settle(entry: Entry): void {
    entry.done = true;
    entry.fire = undefined;
    if (--this.live === 0) this.timer?.unref();
    let head = this.head;
    while (head?.done) head = head.next;
    this.head = head;
    if (!head) this.tail = undefined;
  }

  private insertInOrder(entry: Entry): void {
    let prev = this.head!;
    if (entry.at < prev.at) {
      entry.next = prev;
      this.head = entry;
      return;
    }
    while (prev.next && prev.next.at <= entry.at) prev = prev.next;
    entry.next = prev.next;
    prev.next = entry;
  }

  private arm(at: number): void {
    this.disarm();
    this.armedAt = at;
    this.timer = this.clock.setTimeout(this.onTimer, Math.max(1, Math.ceil(at - this.clock.now())));
    if (this.live === 0) this.timer.unref();
  }

  private disarm(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.armedAt = Infinity;
  }

  private expire(): void {
    // Due: what the fired timer was armed for (Node's timer said so), and anything whose time passed.
    const dueBy = Math.max(this.clock.now(), this.armedAt);
    this.timer = undefined;
    this.armedAt = Infinity;
    const due: Entry[] = [];
    let head = this.head;
    while (head && (head.done || head.at <= dueBy)) {
      if (!head.done) {
        head.done = true;
        this.live--;
        due.push(head);
      }
      head = head.next;
    }
    this.head = head;
    if (!head) this.tail = undefined;
    else this.arm(head.at);
    for (const entry of due) {
      const fire = entry.fire!;
      entry.fire = undefined;
      try {
        fire();
      } catch (error) {
        process.nextTick(() => {
          throw error;
        });
      }
    }
  }
}
