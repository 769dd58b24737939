import type { CallOptions } from '@grpc/grpc-js';
import { IWatchResponse, Namespace, Watcher } from 'etcd3';
import { performance } from 'perf_hooks';
import { BackoffPolicy, RESYNC_BACKOFF, backoffDelay } from '../backoff';
import { ClusterIdentity } from '../cluster-identity';
import { monotonicNow } from '../deadline';
import { causeOf, isCompacted } from '../final-error';
import { messages } from '../messages';
import { OperationRunner } from '../operation-runner';
import { ResolvedRegistryOptions } from '../options';
import type { WatchResyncKind } from '../events';
import { WatchHandler } from '../registry.interface';
import type { WatchStatus } from '../status.interface';
import { appliedThrough } from './applied-revision';
import { DriftCheck, MapFingerprint, ObservedFingerprint } from './drift-check';
import { DeliveryReports, HandlerDelivery } from './handler-delivery';
import { Leaf } from './persistent-map';
import { ServiceMapState, revisionNumber } from './service-map-state';

/** What a prefix watcher needs from its registry. */
export interface PrefixWatcherContext {
  kv: Namespace;
  runner: OperationRunner;
  options: ResolvedRegistryOptions;
  identity: ClusterIdentity;
}

/**
 * Watches one prefix: one read of the prefix at revision R, then one etcd watch from R + 1, so
 * no event falls between them. After a disconnect, a cancelled watch (compaction), a stream
 * closed because its member lost the leader, or a new cluster behind the endpoints, it reads the
 * prefix again and watches from there: the map always ends exact. Every handler on the prefix
 * shares this one etcd watch.
 *
 * The map moves by revision only: a read that answers with an older revision than the map
 * already has (it was in flight while events arrived) is not applied, so no handler ever gets an
 * older map after a newer one. `status()` says whether the watch is live and since when not.
 */
export class PrefixWatcher {
  readonly state = new ServiceMapState();
  private readonly handlers = new Set<HandlerDelivery>();
  private watcher?: Watcher;
  /** True once etcd created the current watcher, until it is lost. */
  private connected = false;
  /**
   * The revision the map is exact at: the last read's header, or how far the watch's responses went
   * (their events' mod_revision, see appliedThrough: never a catch-up response's header).
   */
  private appliedRevision = 0n;
  /** Epoch ms since which the watch is not live (set while it is not). */
  private staleSinceMs: number | undefined = Date.now();
  private resyncTimer?: NodeJS.Timeout;
  private resyncAttempt = 0;
  private periodic?: NodeJS.Timeout;
  private flushTimer?: NodeJS.Timeout;
  /** performance.now() before which the next delivery waits (see flush). */
  private nextFlushAt = 0;
  private closed = false;
  /** True after a 'watch-stale' event, until the matching 'watch-live'. */
  private staleAnnounced = false;
  /** Syncs in progress: a watch lost meanwhile is re-created by their own retries. */
  private syncing = 0;
  /** Set when the map drifted: the next read replaces the etcd watch even if the map comes out the same. */
  private rewatch = false;
  private readonly driftCheck: DriftCheck;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly ctx: PrefixWatcherContext,
    readonly prefix: string,
  ) {
    this.unsubscribe = ctx.identity.onChange(() => this.clusterChanged());
    this.driftCheck = new DriftCheck(
      {
        fingerprint: () => this.fingerprint(),
        read: (revision) => this.readFingerprint(revision),
        drift: (reason) => this.drifted(reason),
        failed: (error) => this.ctx.options.logger.debug?.(messages.driftCheckFailed(this.prefix, causeOf(error))),
      },
      ctx.options.antiEntropyIntervalMs,
    );
  }

  /** First read and watch; rejects (after timeoutMs) when etcd cannot be read or the watch cannot be created. */
  async start(): Promise<void> {
    await this.syncWithin(this.ctx.runner.deadline());
    if (this.ctx.options.resyncIntervalMs) {
      this.periodic = setInterval(() => this.resyncNow('periodic', 'periodic resync'), this.ctx.options.resyncIntervalMs);
      this.periodic.unref();
    }
    this.driftCheck.start();
  }

  /** Runs one anti-entropy check now (tests; the check runs by itself every antiEntropyIntervalMs). */
  checkDrift(): Promise<'same' | 'drift' | 'recheck' | undefined> {
    return this.driftCheck.check(false);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get handlerCount(): number {
    return this.handlers.size;
  }

  get live(): boolean {
    return !this.closed && this.connected;
  }

  status(): WatchStatus {
    const live = this.live;
    return {
      prefix: this.prefix,
      revision: this.appliedRevision > 0n ? this.appliedRevision.toString() : undefined,
      live,
      staleSince: live ? undefined : this.staleSinceMs,
      handlers: this.handlers.size,
    };
  }

  /** Adds a handler; its `first` promise settles after its first call. */
  add(fn: WatchHandler, reports: DeliveryReports, retry?: BackoffPolicy): HandlerDelivery {
    const delivery = new HandlerDelivery(fn, this.state, reports, this.ctx.options.handlerTimeoutMs, retry);
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
    this.unsubscribe();
    clearTimeout(this.resyncTimer);
    clearInterval(this.periodic);
    this.driftCheck.stop();
    clearTimeout(this.flushTimer);
    for (const h of this.handlers) h.stop();
    this.handlers.clear();
    this.dropWatcher();
  }

  /** Read and watch (re-created when needed), retried on transient failures until `deadline`. */
  private async syncWithin(deadline: number): Promise<void> {
    this.syncing++;
    try {
      await this.ctx.runner.run(`read of prefix ${JSON.stringify(this.prefix)} (and its watch)`, deadline, (call) =>
        this.sync(deadline, call),
      );
    } finally {
      this.syncing--;
    }
  }

  /**
   * One attempt: reads the prefix at revision R, applies the map unless it already is at a newer
   * revision, then makes sure an etcd watch exists from the map's revision + 1, and waits (until
   * `deadline`) for etcd to create it.
   */
  private async sync(deadline: number, call: CallOptions): Promise<void> {
    const floor = this.ctx.identity.highestRevision;
    const res = await this.ctx.kv.getAll().prefix(this.prefix).options(call).exec();
    if (this.closed) return;
    // May reveal a new cluster: clusterChanged() then resets the revision and the watch.
    this.ctx.identity.observe(res.header, floor);
    const revision = BigInt(res.header.revision);
    if (revision >= this.appliedRevision) {
      const changed = this.state.replaceLeaves(
        res.kvs.map((kv) => new Leaf(kv.key.toString(), kv.value.toString(), revisionNumber(kv.mod_revision))),
      );
      this.appliedRevision = revision;
      // A map that differs from what a live watch gave means that watch missed something: replace it too.
      if (changed || this.rewatch) this.dropWatcher();
      this.rewatch = false;
      if (changed) this.notifyAll();
    }
    if (!this.watcher) this.watch(this.appliedRevision + 1n);
    await this.connectedBy(deadline);
  }

  private watch(fromRevision: bigint): void {
    const watcher = this.ctx.kv.watch().prefix(this.prefix).startRevision(fromRevision.toString()).watcher();
    this.watcher = watcher;
    this.connected = false;
    const mine = () => watcher === this.watcher && !this.closed;
    watcher.on('connected', (res: IWatchResponse) => {
      if (!mine()) return;
      if (this.staleAnnounced)
        this.ctx.options.events.emit({ type: 'watch-live', prefix: this.prefix, staleMs: Date.now() - (this.staleSinceMs ?? Date.now()) });
      this.staleAnnounced = false;
      this.connected = true;
      this.staleSinceMs = undefined;
      this.ctx.identity.observeCluster(res.header?.cluster_id);
    });
    watcher.on('data', (res: IWatchResponse) => mine() && this.apply(res));
    watcher.on('disconnected', (error: unknown) => mine() && this.lost(`disconnected: ${causeOf(error)}`));
    watcher.on('error', (error: unknown) => mine() && this.lost(`watch cancelled: ${causeOf(error)}`, error));
  }

  /** Resolves once the current watcher is created; rejects when etcd refuses it, it is lost, or at `deadline`. */
  private connectedBy(deadline: number): Promise<void> {
    const watcher = this.watcher;
    if (this.connected || this.closed) return Promise.resolve();
    if (!watcher) return Promise.reject(new Error('the watch was lost before etcd created it'));
    return new Promise<void>((resolve, reject) => {
      const done = (error?: Error) => {
        clearTimeout(timer);
        watcher.off('connected', onConnected);
        watcher.off('error', onError);
        watcher.off('disconnected', onError);
        if (error === undefined) resolve();
        else reject(error);
      };
      const onConnected = () => done();
      const onError = (error: unknown) =>
        done(
          error instanceof Error ? error : new Error(error === undefined ? 'the watch was lost before etcd created it' : causeOf(error)),
        );
      const timer = setTimeout(
        () => {
          if (watcher === this.watcher) this.dropWatcher();
          done(new Error('etcd did not create the watch'));
        },
        Math.max(0, deadline - monotonicNow()),
      );
      watcher.on('connected', onConnected);
      watcher.on('error', onError);
      watcher.on('disconnected', onError);
    });
  }

  private apply(res: IWatchResponse): void {
    this.ctx.identity.observeCluster(res.header?.cluster_id);
    // The map already reflects everything up to appliedRevision (a read, or earlier responses).
    const floor = this.appliedRevision;
    let changed = false;
    for (const ev of res.events) {
      if (BigInt(ev.kv.mod_revision) <= floor) continue;
      const key = ev.kv.key.toString();
      const deleted = String(ev.type).toLowerCase() === 'delete';
      changed = (deleted ? this.state.delete(key) : this.state.put(key, ev.kv.value.toString(), ev.kv.mod_revision)) || changed;
    }
    // Every event of this prefix up to the last one's revision has been applied; the header's
    // revision may be far ahead while more responses of a catch-up follow (appliedThrough).
    const revision = appliedThrough(res);
    if (revision > this.appliedRevision) this.appliedRevision = revision;
    if (changed) this.notifyAll();
  }

  /** The etcd watch is gone or suspect: read again and watch from there, with backoff until etcd answers. */
  private lost(reason: string, error?: unknown): void {
    const wasLive = this.connected;
    this.dropWatcher();
    this.ctx.options.logger.debug?.(messages.watchLost(this.prefix, reason));
    if (wasLive) {
      this.staleAnnounced = true;
      this.ctx.options.events.emit({ type: 'watch-stale', prefix: this.prefix, reason });
    }
    if (this.syncing) return;
    // A watch refused because of its token: the repaired stream re-authenticates, so retry at once.
    if (error instanceof Error && error.name === 'EtcdInvalidAuthTokenError') this.resyncNow('lost', reason);
    else this.scheduleResync('lost', reason);
  }

  /** The map and the revision it is exact at; nothing while the watch is not live or a read is running. */
  private fingerprint(): MapFingerprint | undefined {
    if (!this.live || this.syncing || this.resyncTimer || this.appliedRevision === 0n) return undefined;
    return { revision: this.appliedRevision, size: this.state.size, newest: this.state.newestRevision() };
  }

  /**
   * etcd's key count and newest mod_revision of the prefix at `revision`, in one range request
   * (sorted by mod_revision, newest first, limit 1: `count` is the whole range's); at the current
   * revision when `revision` was compacted.
   */
  private readFingerprint(revision: bigint): Promise<ObservedFingerprint> {
    const range = async (call: CallOptions, at?: bigint) => {
      const b = this.ctx.kv.getAll().prefix(this.prefix).sort('Mod', 'Descend').limit(1);
      if (at !== undefined) b.revision(at.toString());
      const res = await b.options(call).exec();
      return { size: Number(res.count), newest: revisionNumber(res.kvs[0]?.mod_revision), exact: at !== undefined };
    };
    return this.ctx.runner.run(`anti-entropy check of prefix ${JSON.stringify(this.prefix)}`, this.ctx.runner.deadline(), async (call) => {
      try {
        return await range(call, revision);
      } catch (error) {
        if (!isCompacted(error)) throw error;
        return range(call);
      }
    });
  }

  /** The anti-entropy check found the map differs from etcd: say so, and read the prefix (and watch) again. */
  private drifted(reason: string): void {
    if (this.closed) return;
    this.ctx.options.logger.warn(messages.watchDrift(this.prefix, reason));
    this.rewatch = true;
    this.resyncNow('drift', reason);
  }

  /** Another cluster answers now: revisions of the old one mean nothing; start again from a new read. */
  private clusterChanged(): void {
    if (this.closed) return;
    this.appliedRevision = 0n;
    this.dropWatcher();
    this.resyncNow('new-cluster', 'new cluster');
  }

  private resyncNow(kind: WatchResyncKind, reason: string): void {
    if (this.closed || this.resyncTimer) return;
    this.resyncTimer = setTimeout(() => void this.resync(kind, reason), 0);
  }

  private scheduleResync(kind: WatchResyncKind, reason: string): void {
    if (this.closed || this.resyncTimer) return;
    const delay = backoffDelay(this.resyncAttempt++, RESYNC_BACKOFF);
    this.resyncTimer = setTimeout(() => void this.resync(kind, reason), delay);
  }

  private async resync(kind: WatchResyncKind, reason: string): Promise<void> {
    const before = this.state.version;
    let read = false;
    try {
      await this.syncWithin(this.ctx.runner.deadline());
      read = true;
      this.resyncTimer = undefined;
      this.resyncAttempt = 0;
    } catch (error) {
      this.resyncTimer = undefined;
      if (this.closed) return;
      this.dropWatcher();
      this.resyncAttempt++;
      if (this.resyncAttempt === 1 || this.resyncAttempt % 10 === 0) {
        this.ctx.options.logger.warn(messages.watchRetrying(this.prefix, this.resyncAttempt, causeOf(error)));
        this.ctx.options.events.emit({
          type: 'error',
          source: 'watch',
          subject: this.prefix,
          message: messages.watchRetrying(this.prefix, this.resyncAttempt, causeOf(error)),
          error,
        });
      }
      this.scheduleResync(kind, reason);
    } finally {
      // The read may have replaced the map even when the new watch then failed to start in time
      // (it is retried): the handlers got the new map, so the resync is said either way. A drift is
      // said even when no value changed (only revisions did): it was found and repaired.
      if ((this.state.version !== before || (kind === 'drift' && read)) && !this.closed) this.announceResync(kind, reason);
    }
  }

  private announceResync(kind: WatchResyncKind, reason: string): void {
    this.ctx.options.logger.log(messages.watchResynced(this.prefix, reason, this.state.size, this.appliedRevision.toString()));
    this.ctx.options.events.emit({
      type: 'watch-resynced',
      prefix: this.prefix,
      kind,
      reason,
      size: this.state.size,
      revision: this.appliedRevision.toString(),
    });
  }

  private dropWatcher(): void {
    const watcher = this.watcher;
    this.watcher = undefined;
    if (this.connected || this.staleSinceMs === undefined) this.staleSinceMs = Date.now();
    this.connected = false;
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
   * Hands the latest map to every idle handler. Handing a map over is O(1) (a view of the shared
   * trie), so the cost of a delivery is the handlers' own synchronous work: a delivery that cost
   * C ms makes the next one wait C ms, so that under a storm of changes and slow handlers at most
   * about half the time goes to deliveries, each carrying every change made meanwhile. Applying an
   * event is O(log N).
   */
  private flush(): void {
    const started = performance.now();
    for (const h of this.handlers) h.notify();
    const ended = performance.now();
    this.nextFlushAt = ended + (ended - started);
  }
}
