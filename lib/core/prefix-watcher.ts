import { IWatchResponse, Namespace, Watcher } from 'etcd3';
import { performance } from 'perf_hooks';
import { RESYNC_BACKOFF, backoffDelay } from './backoff';
import { causeOf } from './etcd-errors';
import { HandlerDelivery } from './handler-delivery';
import { OperationRunner } from './operation-runner';
import { ResolvedRegistryOptions } from './options';
import { WatchHandler } from './registry.interface';
import { ServiceMapState } from './service-map-state';

/**
 * Watches one prefix: one read of the prefix at revision R, then one etcd watch from R + 1, so
 * no event falls between them. After a disconnect, a cancelled watch (compaction) or a wiped
 * cluster, it reads the prefix again and watches from there: the map always ends exact. Every
 * handler on the prefix shares this one etcd watch.
 */
export class PrefixWatcher {
  readonly state = new ServiceMapState();
  private readonly handlers = new Set<HandlerDelivery>();
  private watcher?: Watcher;
  /** Revision of the last read of the prefix; the watch delivers what follows it. */
  private readRevision = 0n;
  private resyncTimer?: NodeJS.Timeout;
  private resyncAttempt = 0;
  private periodic?: NodeJS.Timeout;
  private flushTimer?: NodeJS.Timeout;
  /** performance.now() before which the next delivery waits (see flush). */
  private nextFlushAt = 0;
  private closed = false;

  constructor(
    private readonly kv: Namespace,
    readonly prefix: string,
    private readonly runner: OperationRunner,
    private readonly options: ResolvedRegistryOptions,
  ) {}

  /** First read and watch; rejects (after timeoutMs) when etcd cannot be read. */
  async start(): Promise<void> {
    await this.sync(this.runner.deadline());
    if (this.options.resyncIntervalMs) {
      this.periodic = setInterval(() => this.resyncNow('periodic resync'), this.options.resyncIntervalMs);
      this.periodic.unref();
    }
  }

  get handlerCount(): number {
    return this.handlers.size;
  }

  /** Adds a handler; its `first` promise settles after its first call. */
  add(fn: WatchHandler, onError: (error: unknown) => void): HandlerDelivery {
    const delivery = new HandlerDelivery(fn, this.state, onError);
    this.handlers.add(delivery);
    delivery.notify();
    return delivery;
  }

  remove(delivery: HandlerDelivery): void {
    delivery.stop();
    this.handlers.delete(delivery);
  }

  /** Stops every handler and the etcd watch. Never waits for a running handler (it may be the caller). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.resyncTimer);
    clearInterval(this.periodic);
    clearTimeout(this.flushTimer);
    for (const h of this.handlers) h.stop();
    this.handlers.clear();
    this.dropWatcher();
  }

  /** Reads the prefix, replaces the map, and watches from the read's revision + 1. */
  private async sync(deadline: number): Promise<void> {
    const res = await this.runner.run(`read of prefix ${JSON.stringify(this.prefix)}`, deadline, () =>
      this.kv.getAll().prefix(this.prefix).exec(),
    );
    if (this.closed) return;
    const next = new Map<string, string>();
    const revisions = new Map<string, string>();
    for (const kv of res.kvs) {
      next.set(kv.key.toString(), kv.value.toString());
      revisions.set(kv.key.toString(), kv.mod_revision);
    }
    this.readRevision = BigInt(res.header.revision);
    this.dropWatcher();
    this.watch(this.readRevision + 1n);
    if (this.state.replace(next, revisions)) this.notifyAll();
  }

  private watch(fromRevision: bigint): void {
    const watcher = this.kv.watch().prefix(this.prefix).startRevision(fromRevision.toString()).watcher();
    this.watcher = watcher;
    watcher.on('data', (res: IWatchResponse) => watcher === this.watcher && this.apply(res));
    watcher.on('disconnected', (error: unknown) => watcher === this.watcher && this.lost(`disconnected: ${causeOf(error)}`));
    watcher.on('error', (error: unknown) => watcher === this.watcher && this.lost(`watch cancelled: ${causeOf(error)}`));
  }

  private apply(res: IWatchResponse): void {
    let changed = false;
    for (const ev of res.events) {
      // The read already reflects everything up to its revision.
      if (BigInt(ev.kv.mod_revision) <= this.readRevision) continue;
      const key = ev.kv.key.toString();
      const deleted = String(ev.type).toLowerCase() === 'delete';
      changed = (deleted ? this.state.delete(key) : this.state.put(key, ev.kv.value.toString(), ev.kv.mod_revision)) || changed;
    }
    if (changed) this.notifyAll();
  }

  /** The etcd watch is gone or suspect: read again and watch from there, with backoff until etcd answers. */
  private lost(reason: string): void {
    this.dropWatcher();
    this.options.logger.debug?.(`Watch on ${JSON.stringify(this.prefix)} lost (${reason}); re-reading the prefix`);
    this.scheduleResync(reason);
  }

  private resyncNow(reason: string): void {
    if (this.closed || this.resyncTimer) return;
    this.resyncTimer = setTimeout(() => void this.resync(reason), 0);
  }

  private scheduleResync(reason: string): void {
    if (this.closed || this.resyncTimer) return;
    const delay = backoffDelay(this.resyncAttempt++, RESYNC_BACKOFF);
    this.resyncTimer = setTimeout(() => void this.resync(reason), delay);
  }

  private async resync(reason: string): Promise<void> {
    try {
      const before = this.state.version;
      await this.sync(this.runner.deadline());
      this.resyncTimer = undefined;
      this.resyncAttempt = 0;
      if (this.state.version !== before) {
        this.options.logger.log(`Watch on ${JSON.stringify(this.prefix)} resynced (${reason}): ${this.state.size} service(s)`);
      }
    } catch (error) {
      this.resyncTimer = undefined;
      if (this.closed) return;
      if (this.resyncAttempt === 1 || this.resyncAttempt % 10 === 0) {
        this.options.logger.warn(`Watch on ${JSON.stringify(this.prefix)}: re-read failed (${causeOf(error)}); retrying`);
      }
      this.scheduleResync(reason);
    }
  }

  private dropWatcher(): void {
    const watcher = this.watcher;
    this.watcher = undefined;
    // cancel() can hang while etcd is unreachable: never wait for it.
    if (watcher) void watcher.cancel().catch(() => undefined);
  }

  private notifyAll(): void {
    if (this.flushTimer || this.closed) return;
    const wait = this.nextFlushAt - performance.now();
    if (wait < 1) this.flush();
    else
      this.flushTimer = setTimeout(() => {
        this.flushTimer = undefined;
        this.flush();
      }, wait);
  }

  /**
   * Hands the latest map to every idle handler. A delivery that cost C ms (the O(N) snapshot and
   * the handlers' synchronous work) makes the next one wait C ms: small maps are delivered at once,
   * and under a storm of changes to a large map at most about half the time goes to deliveries,
   * each carrying every change made meanwhile. Applying an event stays O(1).
   */
  private flush(): void {
    const started = performance.now();
    for (const h of this.handlers) h.notify();
    const ended = performance.now();
    this.nextFlushAt = ended + (ended - started);
  }
}
