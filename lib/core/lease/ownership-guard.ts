import { IWatchResponse, Namespace, Watcher } from 'etcd3';
import type { ClusterIdentity } from '../cluster-identity';
import { leanWatchRevision } from '../etcd/watch-revision';
import { messages } from '../messages';
import { appliedThrough } from '../watch/applied-revision';
import { RegistryLogger } from '../registry.interface';
import { isPermissionDenied } from './lease-errors';
import { commonPrefix, commonPrefixOf, coveringPrefixes, coversDenied, hasPrefix, resumeRevision } from './key-range';

/** What the guard asks of, and reports to, the keeper. */
export interface GuardHost {
  /** The revision at which `path` was last confirmed (written or read) by the registry; undefined when not registered. */
  confirmedAt(path: string): bigint | undefined;
  /** Every registered path. */
  paths(): string[];
  isOwn(lease: string): boolean;
  /** A registered key was deleted by someone else (or expired with its lease). */
  onDeleted(path: string): void;
  /** A registered key was written by another holder (`lease` '0': without a lease). */
  onTaken(path: string, lease: string): void;
  /** Events may have been missed (disconnect, watch cancelled): every key must be verified. */
  onGap(reason: string): void;
}

interface Range {
  prefix: Buffer;
  watcher?: Watcher;
  /** Every event of the range up to this revision was delivered. */
  progress: bigint;
}

/**
 * The ownership guard: ONE etcd watch over the registry's keys, whatever their number, instead of
 * one per key. It watches the longest common prefix of the registered keys (for one key, that key),
 * widening it (one re-created watch, resumed where the old one stopped) only when a new key falls
 * outside it: at most once per byte of prefix, in practice once or twice in a registry's life.
 * Events are filtered to the registered set and to changes after the registry last confirmed the
 * key. A wider range etcd would refuse (a role allowed on several disjoint prefixes) is never
 * watched: the keys get narrower ranges, so the count stays the number of permitted prefixes the
 * keys span.
 */
export class OwnershipGuard {
  private ranges: Range[] = [];
  private readonly denied: Buffer[] = [];
  private widening: Promise<void> = Promise.resolve();
  /** The guard's own watch stream (a namespace object of its own), apart from the registry's prefix watchers. */
  private watchKv: Namespace;
  private closed = false;

  constructor(
    private readonly kv: Namespace,
    private readonly host: GuardHost,
    private readonly logger: RegistryLogger,
    private readonly identity?: ClusterIdentity,
  ) {
    this.watchKv = watchNamespace(kv);
  }

  /** Number of etcd watches the guard holds. */
  get watchCount(): number {
    return this.ranges.filter((r) => r.watcher).length;
  }

  /** The watched prefixes (for status and tests). */
  get prefixes(): string[] {
    return this.ranges.map((r) => r.prefix.toString());
  }

  /** Makes sure changes to `paths` after `revision` (where the registry confirmed them) are seen. */
  cover(paths: readonly string[], revision: string): void {
    if (this.closed || paths.length === 0) return;
    const written = BigInt(revision);
    const rearm = new Map<Range, bigint>();
    const widenings = new Map<Range, { start: bigint; keys: Buffer[] }>();
    for (const path of paths) {
      const key = Buffer.from(path);
      const inside = this.ranges.find((r) => hasPrefix(key, r.prefix));
      if (inside) {
        if (!inside.watcher && !rearm.has(inside)) rearm.set(inside, written + 1n);
        continue;
      }
      const widen = this.bestWidening(key);
      if (widen) {
        const start = widen.watcher ? resumeRevision(widen.progress, written) : written + 1n;
        const planned = widenings.get(widen) ?? { start, keys: [] };
        planned.start = minOf(planned.start, start);
        planned.keys.push(key);
        widenings.set(widen, planned);
      } else {
        const range: Range = { prefix: key, progress: written };
        this.ranges.push(range);
        rearm.set(range, written + 1n);
      }
    }
    for (const [range, start] of rearm) this.arm(range, start);
    for (const [range, { start, keys }] of widenings) {
      this.widening = this.widening.then(() => this.widen(range, start, keys)).catch(() => undefined);
    }
  }

  /**
   * Widens `range` over `keys`, after checking with a count-only read that etcd lets us read (so
   * watch) the wider range: a refused watch would stall etcd3's watch stream. Until then the old
   * watch keeps going; the new one starts at `start`, so nothing in between is missed.
   */
  private async widen(range: Range, start: bigint, keys: Buffer[]): Promise<void> {
    if (this.closed || !this.ranges.includes(range)) return;
    const outside = keys.filter((k) => !hasPrefix(k, range.prefix));
    if (outside.length === 0) return;
    const prefix = commonPrefixOf([range.prefix, ...outside]);
    if (!(await this.readable(prefix))) {
      this.denied.push(prefix);
      this.logger.debug?.(messages.guardSplit(prefix.toString()));
      // Placed again: in another range that may widen, or in a range of their own.
      if (!this.closed)
        this.cover(
          outside.map((k) => k.toString()),
          String(start - 1n),
        );
      return;
    }
    if (this.closed || !this.ranges.includes(range)) return;
    range.prefix = prefix;
    this.arm(range, range.watcher ? minOf(start, range.progress + 1n) : start);
  }

  private async readable(prefix: Buffer): Promise<boolean> {
    try {
      await this.kv.getAll().prefix(prefix).count();
      return true;
    } catch (error) {
      // Anything but a refusal: the watch itself will tell (and report a gap if it fails).
      return !isPermissionDenied(error);
    }
  }

  /** The registry holds no key any more: stop watching. */
  release(): void {
    for (const range of this.ranges) this.disarm(range);
    this.ranges = [];
  }

  close(): void {
    this.closed = true;
    this.release();
  }

  /** The range that can take `key` with the narrowest result, if any (never one widened over a refused range). */
  private bestWidening(key: Buffer): Range | undefined {
    let best: Range | undefined;
    let bestLength = -1;
    for (const range of this.ranges) {
      const prefix = commonPrefix(range.prefix, key);
      if (coversDenied(prefix, this.denied) || prefix.length <= bestLength) continue;
      best = range;
      bestLength = prefix.length;
    }
    return best;
  }

  private arm(range: Range, start: bigint): void {
    this.disarm(range);
    range.progress = start - 1n;
    const watcher = this.watchKv.watch().prefix(range.prefix).startRevision(String(start)).watcher();
    range.watcher = watcher;
    const live = () => range.watcher === watcher && !this.closed;
    watcher.on(
      'connected',
      (res: { header?: { cluster_id?: string } }) => live() && this.identity?.observe({ cluster_id: res.header?.cluster_id }),
    );
    watcher.on('data', (res: IWatchResponse) => live() && this.handle(range, res));
    // etcd3 resumes this watcher from its last header's revision + 1, which may skip the rest of a
    // catch-up: the gap's restore pass reads every key afterwards (at a revision >= that header),
    // and `progress` (events only) stays the resume point of a widening.
    watcher.on('disconnected', () => live() && this.host.onGap(messages.guardDisconnected()));
    watcher.on('error', (error: unknown) => {
      if (!live()) return;
      range.watcher = undefined;
      if (isPermissionDenied(error)) this.split(range);
      else this.host.onGap(messages.guardCancelled(String(error instanceof Error ? error.message : error)));
    });
    this.logger.debug?.(messages.guardWatching(range.prefix.toString(), String(start), this.ranges.length));
  }

  private disarm(range: Range): void {
    const watcher = range.watcher;
    range.watcher = undefined;
    if (watcher) void watcher.cancel().catch(() => undefined);
  }

  private handle(range: Range, res: IWatchResponse): void {
    for (const event of res.events) {
      const path = event.kv.key.toString();
      const confirmed = this.host.confirmedAt(path);
      if (confirmed === undefined || BigInt(event.kv.mod_revision) <= confirmed) continue;
      if (event.type === 'Delete') this.host.onDeleted(path);
      else if (!this.host.isOwn(String(event.kv.lease))) this.host.onTaken(path, String(event.kv.lease));
    }
    const last = appliedThrough(res);
    if (last > range.progress) range.progress = last;
  }

  /**
   * etcd refused a watch over `range` (read permission taken away since the check): narrower ranges
   * that avoid every refused one take its place, on a new watch stream (etcd3's stalls after a refusal).
   */
  private split(range: Range): void {
    this.denied.push(range.prefix);
    this.watchKv = watchNamespace(this.kv);
    this.ranges = this.ranges.filter((r) => r !== range);
    const keys = this.host
      .paths()
      .map((p) => Buffer.from(p))
      .filter((k) => hasPrefix(k, range.prefix) && !this.ranges.some((r) => hasPrefix(k, r.prefix)));
    if (keys.length === 0) return;
    if (keys.length === 1 && keys[0].equals(range.prefix)) {
      this.logger.warn(messages.guardRefused(range.prefix.toString()));
      return;
    }
    this.logger.debug?.(messages.guardSplit(range.prefix.toString()));
    for (const prefix of coveringPrefixes(keys, this.denied)) {
      const narrower: Range = { prefix, progress: range.progress };
      this.ranges.push(narrower);
      this.arm(narrower, range.progress + 1n);
    }
  }
}

/** A namespace object of its own (its own watch stream) over the whole keyspace, its watchers' resume revision kept lean (etcd/watch-revision.ts). */
function watchNamespace(kv: Namespace): Namespace {
  const ns = kv.namespace('');
  leanWatchRevision(ns);
  return ns;
}

function minOf(a: bigint | undefined, b: bigint): bigint {
  return a === undefined || b < a ? b : a;
}
