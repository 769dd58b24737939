import { backoffDelay, BackoffPolicy } from './core/backoff';
import type { ServiceMap } from './core';

/** A handler that threw gets the current map again after 50-500 ms, then in windows of up to 30 s. */
export const HANDLER_RETRY_BACKOFF: BackoffPolicy = { initialMs: 500, maxMs: 30_000 };

/**
 * One @WatchServices method as the core sees it. The core calls `deliver` with each new map,
 * never two calls at once. When the method throws or rejects, it is called again with the latest
 * map after a backoff (a first call that failed because its provider was not ready is not
 * forgotten until etcd changes); a newer map resets the backoff. Calls of the method never
 * overlap, retries included. Timers are unref'd: a pending retry never holds the process open.
 */
export class RetryingHandler<M = ServiceMap> {
  private latest?: M;
  private failed = false;
  private attempt = 0;
  private timer?: NodeJS.Timeout;
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly call: (map: M) => unknown,
    private readonly onFailure: (error: unknown, retryInMs: number) => void,
    private readonly policy: BackoffPolicy = HANDLER_RETRY_BACKOFF,
  ) {}

  /** Given to the core's addWatch: resolves once this map's call has returned (whatever it did). */
  readonly deliver = (map: M): Promise<void> => {
    this.latest = map;
    this.attempt = 0;
    this.clearTimer();
    return this.enqueue();
  };

  /** No more calls or retries. */
  stop(): void {
    this.stopped = true;
    this.clearTimer();
  }

  private enqueue(): Promise<void> {
    this.chain = this.chain.then(() => this.invoke());
    return this.chain;
  }

  private async invoke(): Promise<void> {
    const map = this.latest;
    if (this.stopped || map === undefined) return;
    try {
      await this.call(map);
      this.failed = false;
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
