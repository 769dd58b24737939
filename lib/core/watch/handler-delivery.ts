import { performance } from 'perf_hooks';
import { messages } from '../messages';
import { backoffDelay, BackoffPolicy } from '../backoff';
import type { RegistryEvents } from '../events/registry-events';
import { MapChanges, RegistryLogger, ServiceMap, WatchHandler } from '../registry.interface';
import type { MapSnapshot } from './service-map-state';

export interface DeliverySource {
  readonly version: number;
  snapshot(): MapSnapshot;
  changesBetween(from: MapSnapshot | undefined, to: MapSnapshot): MapChanges;
}

export interface DeliveryReports {
  /** The handler threw or rejected; `retryInMs`: when it is called again with the current map (retry on). */
  error(error: unknown, retryInMs?: number): void;
  /** A call has not settled after `timeoutMs`. */
  stuck(timeoutMs: number): void;
  /** A call returned normally, `latencyMs` after the change it carries reached this handler's queue (metrics). */
  delivered?(latencyMs: number): void;
}

/**
 * What every Registry reports of a handler of `prefix` named `name`: one log line and, given the
 * registry's events, one `error` event (source `handler`) per failed or stuck call, and a
 * `delivered` event per call that returned normally.
 */
export function handlerReports(logger: RegistryLogger, events: RegistryEvents | undefined, prefix: string, name: string): DeliveryReports {
  return {
    error: (error, retryInMs) => {
      const message = messages.handlerFailed(name, prefix, error instanceof Error ? error.message : String(error), retryInMs);
      logger.error(message, error instanceof Error ? error.stack : undefined);
      events?.emit({ type: 'error', source: 'handler', subject: prefix, message, error });
    },
    stuck: (ms) => {
      const message = messages.handlerStuck(name, prefix, ms);
      logger.error(message);
      events?.emit({ type: 'error', source: 'handler', subject: prefix, message });
    },
    delivered: events ? (latencyMs) => events.emit({ type: 'delivered', prefix, latencyMs }) : undefined,
  };
}

/** How the first call ended: `delivered` (made: returned, threw, timed out or stopped meanwhile) or `stopped` before it was made. */
export type FirstCall = 'delivered' | 'stopped';

/**
 * Delivers a map to one handler: the one place that remembers what the handler last saw. Calls
 * never overlap: while the handler runs, changes coalesce and the next call gets the latest map.
 * A version is delivered at most once (but for retries) and versions only grow, so a handler never
 * sees an older state after a newer one. A call that throws or rejects is reported (never as
 * delivered); without `retry` the handler is called again at the next change, with `retry` also
 * after a backoff with the current map (a change restarts the backoff). The change set of a call is
 * relative to the map of the previous call, or with `retry` of the last call that returned normally.
 *
 * A call that has not settled after `timeoutMs` is reported as stuck and counts as made (the
 * first call's promise settles, so addWatch does not hang on it); the handler is skipped until
 * that call settles, then gets the latest map. Other handlers never wait for it.
 */
export class HandlerDelivery {
  private running = false;
  private stopped = false;
  private delivered = -1;
  /** performance.now() when an undelivered change first reached this handler (cleared when a call takes it). */
  private pendingSince?: number;
  /** The snapshot the next call's change set starts from (with retry: that of the last normal return). */
  private last?: MapSnapshot;
  /** Retries since the last normal return or the last new map. */
  private attempt = 0;
  private retryTimer?: ReturnType<typeof setTimeout>;
  /** The retry timer fired: call again with the current map even if its version was delivered. */
  private retryDue = false;
  private resolveFirst!: (how: FirstCall) => void;
  /** Settles after the first call has returned or timed out, or when the delivery was stopped before it. */
  readonly first: Promise<FirstCall> = new Promise((resolve) => (this.resolveFirst = resolve));

  constructor(
    readonly fn: WatchHandler,
    private readonly source: DeliverySource,
    private readonly reports: DeliveryReports,
    private readonly timeoutMs: number,
    private readonly retry?: BackoffPolicy,
  ) {}

  get isRunning(): boolean {
    return this.running;
  }

  /** Called on every change of the source; starts a call unless one is running. */
  notify(): void {
    if (this.stopped || this.source.version <= this.delivered) return;
    this.pendingSince ??= performance.now();
    this.attempt = 0; // a new map: the backoff starts over
    if (this.running) return;
    void this.loop();
  }

  stop(): void {
    this.stopped = true;
    this.clearRetry();
    // A handler that got its first map (even if it is still running: it may be the caller) was delivered to.
    this.resolveFirst(this.delivered >= 0 ? 'delivered' : 'stopped');
  }

  private async loop(): Promise<void> {
    this.running = true;
    try {
      while (!this.stopped && (this.source.version > this.delivered || this.retryDue)) {
        this.retryDue = false;
        this.clearRetry(); // this call supersedes a pending retry
        const since = this.pendingSince ?? performance.now();
        this.pendingSince = undefined;
        const snapshot = this.source.snapshot();
        const changes = this.source.changesBetween(this.last, snapshot);
        this.delivered = snapshot.version;
        if (!this.retry) this.last = snapshot;
        const failure = await this.call(snapshot.map, changes);
        if (failure) this.failed(failure.error, since);
        else {
          this.last = snapshot;
          this.attempt = 0;
          this.reports.delivered?.(performance.now() - since);
        }
        this.resolveFirst('delivered');
      }
    } finally {
      this.running = false;
    }
  }

  /** Reports a failed call; with retry, schedules the next call of the current map. */
  private failed(error: unknown, since: number): void {
    if (!this.retry || this.stopped) {
      this.reports.error(error);
      return;
    }
    // The change is still undelivered: the latency of the call that takes it counts from its arrival.
    this.pendingSince = Math.min(since, this.pendingSince ?? since);
    const delay = backoffDelay(this.attempt++, this.retry);
    this.reports.error(error, delay);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.stopped) return;
      this.retryDue = true;
      if (!this.running) void this.loop();
    }, delay);
    this.retryTimer.unref?.();
  }

  private clearRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  /**
   * One call, awaited to its end; reported as stuck (and the first call counted) once it outlives
   * timeoutMs. The handler is called first: a handler that returns synchronously needs no timer
   * (nothing can fire while it runs), and one that returns a promise gets it for the time left.
   * Resolves with what the call threw or rejected with, undefined when it returned normally.
   */
  private async call(map: ServiceMap, changes: MapChanges): Promise<{ error: unknown } | undefined> {
    const started = performance.now();
    let result: PromiseLike<unknown>;
    try {
      const returned: unknown = this.fn(map, changes);
      if (!isThenable(returned)) return undefined;
      result = returned;
    } catch (error) {
      return { error };
    }
    const timer = setTimeout(
      () => {
        if (this.stopped) return;
        this.reports.stuck(this.timeoutMs);
        this.resolveFirst('delivered');
      },
      Math.max(0, this.timeoutMs - (performance.now() - started)),
    );
    timer.unref?.();
    try {
      await result;
      return undefined;
    } catch (error) {
      return { error };
    } finally {
      clearTimeout(timer);
    }
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
