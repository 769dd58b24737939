import { DeadlineClock, DeadlineQueue, DeadlineTimer } from '../../lib/core/deadline-queue';

class FakeTimer implements DeadlineTimer {
  refed = true;
  cleared = false;

  constructor(
    readonly at: number,
    readonly fn: () => void,
  ) {}

  ref(): void {
    this.refed = true;
  }

  unref(): void {
    this.refed = false;
  }
}

/** A hand-driven clock: `advance` moves the time and fires the timers due, in order, as Node would. */
class FakeClock implements DeadlineClock {
  time = 1000;
  armed: FakeTimer[] = [];
  setCalls = 0;

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): FakeTimer {
    this.setCalls++;
    const t = new FakeTimer(this.time + ms, fn);
    this.armed.push(t);
    return t;
  }

  clearTimeout(timer: DeadlineTimer): void {
    (timer as FakeTimer).cleared = true;
  }

  /** Timers neither fired nor cleared. */
  get active() {
    return this.armed.filter((t) => !t.cleared);
  }

  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const next = this.active.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.time = Math.max(this.time, next.at);
      next.cleared = true;
      next.fn();
    }
    this.time = end;
  }
}

describe('DeadlineQueue', () => {
  let clock: FakeClock;
  let queue: DeadlineQueue;
  let fired: string[];
  const add = (ms: number, name: string) => queue.add(ms, () => fired.push(`${name}@${clock.time}`));

  beforeEach(() => {
    clock = new FakeClock();
    queue = new DeadlineQueue(clock);
    fired = [];
  });

  it("counts from the caller's clock read when given one (a read the caller already made), else from its own", () => {
    queue.add(100, () => fired.push(`early@${clock.time}`), clock.time - 30);
    add(100, 'own');
    clock.advance(69);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual(['early@1070']);
    clock.advance(30);
    expect(fired).toEqual(['early@1070', 'own@1100']);
  });

  it('fires each deadline at its time, in order, on one armed timer', () => {
    add(100, 'a');
    clock.advance(10);
    add(100, 'b');
    clock.advance(5);
    add(100, 'c');
    expect(clock.setCalls).toBe(1);
    expect(queue.pending).toBe(3);
    clock.advance(84);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual(['a@1100']);
    clock.advance(100);
    expect(fired).toEqual(['a@1100', 'b@1110', 'c@1115']);
    expect(queue.pending).toBe(0);
    expect(clock.active).toHaveLength(0);
  });

  it('a cancelled deadline never fires; settled calls leave the head at once', () => {
    const a = add(100, 'a');
    const b = add(100, 'b');
    add(100, 'c');
    b.cancel();
    expect(queue.pending).toBe(2);
    a.cancel();
    a.cancel();
    expect(queue.pending).toBe(1);
    clock.advance(100);
    expect(fired).toEqual(['c@1100']);
  });

  it('under steady traffic the timer is armed about once per period, not once per call', () => {
    for (let i = 0; i < 1000; i++) {
      const d = add(2000, `call${i}`);
      clock.advance(1);
      d.cancel();
    }
    expect(fired).toEqual([]);
    expect(clock.setCalls).toBeLessThanOrEqual(2);
    expect(queue.pending).toBe(0);
  });

  it('the timer fired for a head that was cancelled is re-armed for the next live one', () => {
    const a = add(100, 'a');
    clock.advance(50);
    add(100, 'b');
    a.cancel();
    clock.advance(50);
    expect(fired).toEqual([]);
    expect(clock.active).toHaveLength(1);
    clock.advance(49);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual(['b@1150']);
  });

  it('a shorter deadline than the tail goes in order and re-arms the timer earlier', () => {
    add(100, 'long');
    add(30, 'short');
    add(60, 'middle');
    add(10, 'shortest');
    clock.advance(200);
    expect(fired).toEqual(['shortest@1010', 'short@1030', 'middle@1060', 'long@1100']);
  });

  it('holds the process open only while a live deadline is pending', () => {
    const a = add(100, 'a');
    expect(clock.active[0].refed).toBe(true);
    a.cancel();
    expect(clock.active[0].refed).toBe(false);
    add(100, 'b');
    expect(clock.active[0].refed).toBe(true);
    clock.advance(100);
    expect(clock.active).toHaveLength(0);
  });

  it('a deadline added by a firing callback is scheduled like any other', () => {
    queue.add(100, () => {
      fired.push(`a@${clock.time}`);
      add(100, 'retry');
    });
    clock.advance(300);
    expect(fired).toEqual(['a@1100', 'retry@1200']);
  });

  it('entries whose time passed while the timer was late all fire at once, in order', () => {
    add(100, 'a');
    add(101, 'b');
    add(500, 'c');
    // The timer runs late (a busy event loop): both due entries fire in its callback.
    clock.time += 300;
    clock.advance(0);
    expect(fired).toEqual(['a@1300', 'b@1300']);
    clock.advance(300);
    expect(fired).toEqual(['a@1300', 'b@1300', 'c@1500']);
  });

  it('a callback that throws does not stop the others; its error is rethrown on the next tick', () => {
    const ticks: (() => void)[] = [];
    const spy = jest.spyOn(process, 'nextTick').mockImplementation(((fn: () => void) => ticks.push(fn)) as typeof process.nextTick);
    try {
      queue.add(10, () => {
        throw new Error('boom');
      });
      add(10, 'b');
      clock.advance(10);
    } finally {
      spy.mockRestore();
    }
    expect(fired).toEqual(['b@1010']);
    expect(ticks).toHaveLength(1);
    expect(() => ticks[0]()).toThrow('boom');
  });

  it('clear() cancels everything and disarms the timer', () => {
    add(100, 'a');
    add(200, 'b');
    queue.clear();
    expect(queue.pending).toBe(0);
    expect(clock.active).toHaveLength(0);
    clock.advance(300);
    expect(fired).toEqual([]);
  });

  it('runs on the real clock by default', async () => {
    const real = new DeadlineQueue();
    const t0 = Date.now();
    await new Promise<void>((resolve) => real.add(20, resolve));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(19);
  });
});
