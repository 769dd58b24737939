import { ServiceMap, WatchHandler } from '../registry.interface';

export interface DeliverySource {
  readonly version: number;
  snapshot(): { version: number; map: ServiceMap };
}

/**
 * Delivers a map to one handler. Calls never overlap: while the handler runs, changes
 * coalesce and the next call gets the latest map. A version is delivered at most once and
 * versions only grow, so a handler never sees an older state after a newer one. A handler
 * that throws or rejects is reported through `onError` and called again on the next change.
 */
export class HandlerDelivery {
  private running = false;
  private stopped = false;
  private delivered = -1;
  private resolveFirst!: () => void;
  /** Settles after the first call has returned (or the delivery was stopped before it). */
  readonly first: Promise<void> = new Promise((resolve) => (this.resolveFirst = resolve));

  constructor(
    readonly fn: WatchHandler,
    private readonly source: DeliverySource,
    private readonly onError: (error: unknown) => void,
  ) {}

  get isRunning(): boolean {
    return this.running;
  }

  /** Called on every change of the source; starts a call unless one is running. */
  notify(): void {
    if (this.running || this.stopped || this.source.version <= this.delivered) return;
    void this.loop();
  }

  stop(): void {
    this.stopped = true;
    this.resolveFirst();
  }

  private async loop(): Promise<void> {
    this.running = true;
    try {
      while (!this.stopped && this.source.version > this.delivered) {
        const { version, map } = this.source.snapshot();
        this.delivered = version;
        try {
          await this.fn(map);
        } catch (error) {
          this.onError(error);
        }
        this.resolveFirst();
      }
    } finally {
      this.running = false;
    }
  }
}
