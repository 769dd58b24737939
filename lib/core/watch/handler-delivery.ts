import { performance } from 'perf_hooks';
import { messages } from '../messages';
import { MapChanges, RegistryLogger, ServiceMap, WatchHandler } from '../registry.interface';
import type { MapSnapshot } from './service-map-state';

export interface DeliverySource {
  readonly version: number;
  snapshot(): MapSnapshot;
  changesBetween(from: MapSnapshot | undefined, to: MapSnapshot): MapChanges;
}

export interface DeliveryReports {
  /** The handler threw or rejected. */
  error(error: unknown): void;
  /** A call has not settled after `timeoutMs`. */
  stuck(timeoutMs: number): void;
  /** A call settled, `latencyMs` after the change it carries reached this handler's queue (metrics). */
  delivered?(latencyMs: number): void;
}

/** Reports of a handler of `prefix` through `logger`, naming the handler (shared by every Registry implementation). */
export function loggedDeliveryReports(logger: RegistryLogger, prefix: string, fn: WatchHandler): DeliveryReports {
  const name = fn.name || 'anonymous handler';
  return {
    error: (error) =>
      logger.error(
        messages.handlerFailed(name, prefix, error instanceof Error ? error.message : String(error)),
        error instanceof Error ? error.stack : undefined,
      ),
    stuck: (ms) => logger.error(messages.handlerStuck(name, prefix, ms)),
  };
}

/** How the first call ended: `delivered` (made: returned, threw, timed out or stopped meanwhile) or `stopped` before it was made. */
export type FirstCall = 'delivered' | 'stopped';

/**
 * Delivers a map to one handler. Calls never overlap: while the handler runs, changes
 * coalesce and the next call gets the latest map. A version is delivered at most once and
 * versions only grow, so a handler never sees an older state after a newer one. A handler
 * that throws or rejects is reported and called again on the next change.
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
  /** The last snapshot handed to the handler: the change set of the next call starts from it. */
  private last?: MapSnapshot;
  private resolveFirst!: (how: FirstCall) => void;
  /** Settles after the first call has returned or timed out, or when the delivery was stopped before it. */
  readonly first: Promise<FirstCall> = new Promise((resolve) => (this.resolveFirst = resolve));

  constructor(
    readonly fn: WatchHandler,
    private readonly source: DeliverySource,
    private readonly reports: DeliveryReports,
    private readonly timeoutMs: number,
  ) {}

  get isRunning(): boolean {
    return this.running;
  }

  /** Called on every change of the source; starts a call unless one is running. */
  notify(): void {
    if (this.stopped || this.source.version <= this.delivered) return;
    this.pendingSince ??= performance.now();
    if (this.running) return;
    void this.loop();
  }

  stop(): void {
    this.stopped = true;
    // A handler that got its first map (even if it is still running: it may be the caller) was delivered to.
    this.resolveFirst(this.delivered >= 0 ? 'delivered' : 'stopped');
  }

  private async loop(): Promise<void> {
    this.running = true;
    try {
      while (!this.stopped && this.source.version > this.delivered) {
        const since = this.pendingSince ?? performance.now();
        this.pendingSince = undefined;
        const snapshot = this.source.snapshot();
        const changes = this.source.changesBetween(this.last, snapshot);
        this.delivered = snapshot.version;
        this.last = snapshot;
        await this.call(snapshot.map, changes);
        this.reports.delivered?.(performance.now() - since);
        this.resolveFirst('delivered');
      }
    } finally {
      this.running = false;
    }
  }

  /**
   * One call, awaited to its end; reported as stuck (and the first call counted) once it outlives
   * timeoutMs. The handler is called first: a handler that returns synchronously needs no timer
   * (nothing can fire while it runs), and one that returns a promise gets it for the time left.
   */
  private async call(map: ServiceMap, changes: MapChanges): Promise<void> {
    const started = performance.now();
    let result: PromiseLike<unknown>;
    try {
      const returned: unknown = this.fn(map, changes);
      if (!isThenable(returned)) return;
      result = returned;
    } catch (error) {
      this.reports.error(error);
      return;
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
    } catch (error) {
      this.reports.error(error);
    } finally {
      clearTimeout(timer);
    }
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
