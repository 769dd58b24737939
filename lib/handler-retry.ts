import { backoffDelay, BackoffPolicy } from './core/backoff';
import type { MapChanges, ServiceMap } from './core';
import { ChangesBetween, mapChangesBetween } from './handler-changes';

/** A handler that threw gets the current map again after 50-500 ms, then in windows of up to 30 s. */
export const HANDLER_RETRY_BACKOFF: BackoffPolicy = { initialMs: 500, maxMs: 30_000 };

/** One map handed over by the core, with the change set from the map handed just before it. */
interface Delivery<M, C> {
  map: M;
  changes?: C;
  /** 1 for the first delivery, then +1 per delivery. */
  seq: number;
}

/**
 * One @WatchServices method as the core sees it. The core calls `deliver` with each new map,
 * never two calls at once. When the method throws or rejects, it is called again with the latest
 * map after a backoff (a first call that failed because its provider was not ready is not
 * forgotten until etcd changes); a newer map resets the backoff. Calls of the method never
 * overlap, retries included. Timers are unref'd: a pending retry never holds the process open.
 *
 * The method gets `(map, changes)`, `changes` relative to the map of its last call that returned
 * normally (none yet: `previous` undefined, every key added), whatever failed or coalesced in
 * between. When that map is the one delivered just before, the core's own change set is handed on
 * (O(change)); otherwise `changesBetween` computes it from the two maps.
 */
export class RetryingHandler<M = ServiceMap, C extends { readonly previous: unknown } = MapChanges> {
  private latest?: Delivery<M, C>;
  private delivered = 0;
  /** The map of the method's last normal return and its delivery (seq 0: none yet). */
  private succeeded: { map: M | undefined; seq: number } = { map: undefined, seq: 0 };
  private failed = false;
  private attempt = 0;
  private timer?: NodeJS.Timeout;
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly call: (map: M, changes: C) => unknown,
    private readonly onFailure: (error: unknown, retryInMs: number) => void,
    private readonly policy: BackoffPolicy = HANDLER_RETRY_BACKOFF,
    private readonly changesBetween: ChangesBetween<M, C> = mapChangesBetween as unknown as ChangesBetween<M, C>,
  ) {}

  /**
   * Given to the core's addWatch: resolves once this map's call has returned (whatever it did).
   * `changes`: the core's change set from the previous delivery's map (without: computed).
   */
  readonly deliver = (map: M, changes?: C): Promise<void> => {
    this.latest = { map, changes, seq: ++this.delivered };
    this.attempt = 0;
    this.clearTimer();
    return this.enqueue();
  };

  /** No more calls or retries. */
  stop(): void {
    this.stopped = true;
    this.clearTimer();
  }

  /** What changed from the map of the last success to `d`'s. */
  private changesFor(d: Delivery<M, C>): C {
    const { map, seq } = this.succeeded;
    if (d.changes !== undefined && seq === d.seq - 1 && d.changes.previous === map) return d.changes;
    return this.changesBetween(map, d.map);
  }

  private enqueue(): Promise<void> {
    this.chain = this.chain.then(() => this.invoke());
    return this.chain;
  }

  private async invoke(): Promise<void> {
    const d = this.latest;
    // Already returned normally for this map (a queued retry that a success overtook): nothing new.
    if (this.stopped || d === undefined || this.succeeded.seq === d.seq) return;
    try {
      await this.call(d.map, this.changesFor(d));
      this.failed = false;
      this.succeeded = { map: d.map, seq: d.seq };
    } catch (error) {
      this.failed = true;
      const delay = backoffDelay(this.attempt++, this.policy);
      this.onFailure(error, delay);
      this.scheduleRetry(delay);
    }
  }

  private scheduleRetry(delay: number): void {
    if (this.stopped) return;
    this.clearTimer();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.failed) void this.enqueue();
    }, delay);
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
