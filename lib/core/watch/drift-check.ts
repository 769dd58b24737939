/**
 * What a cheap comparison of a watched map with etcd looks at: how many keys, and the newest
 * mod_revision among them. One range request gives both (sorted by mod_revision, newest first,
 * limit 1: etcd's `count` is the whole range's), at a given revision.
 */
export interface RangeFingerprint {
  size: number;
  /** The newest mod_revision in the range (0 when empty). */
  newest: number;
}

/** The map's fingerprint and the revision it is exact at. */
export interface MapFingerprint extends RangeFingerprint {
  revision: bigint;
}

/** etcd's fingerprint of the prefix; `exact` when read AT the map's revision (false: at the current one, that one compacted). */
export interface ObservedFingerprint extends RangeFingerprint {
  exact: boolean;
}

export type DriftVerdict = 'same' | 'drift' | 'recheck';

/**
 * Pure. Read at the map's revision, the comparison is exact (the map is by construction etcd's
 * range there): any difference is drift. Read at a newer revision (the map's was compacted), a
 * difference may be events still on their way: it is drift only if it is still there when
 * checked again (`recheck`).
 */
export function driftVerdict(map: RangeFingerprint, etcd: ObservedFingerprint, recheck: boolean): DriftVerdict {
  if (map.size === etcd.size && map.newest === etcd.newest) return 'same';
  return etcd.exact || recheck ? 'drift' : 'recheck';
}

/** The words of a drift, for the log and the `watch-resynced` reason. */
export function driftReason(map: MapFingerprint, etcd: ObservedFingerprint): string {
  const at = etcd.exact ? `at revision ${map.revision}` : `at etcd's current revision (${map.revision} was compacted)`;
  return `drift: the map had ${map.size} key(s), newest revision ${map.newest}; etcd had ${etcd.size}, newest ${etcd.newest} ${at}`;
}

/** What the check asks of its prefix watcher. */
export interface DriftCheckHost {
  /** The map's fingerprint now; undefined while there is nothing to compare (watch not live, a re-read running). */
  fingerprint(): MapFingerprint | undefined;
  /** etcd's fingerprint of the prefix at `revision`, or at the current one when `revision` was compacted. */
  read(revision: bigint): Promise<ObservedFingerprint>;
  /** The map drifted from etcd: re-read it. */
  drift(reason: string): void;
  /** The check could not be made (etcd did not answer): the next one will try again. */
  failed(error: unknown): void;
}

/** How long to wait before checking again a difference seen at a newer revision than the map's. */
export const DRIFT_RECHECK_MS = 1000;

/**
 * Anti-entropy of one prefix watcher: every `intervalMs` while the watch is live, compares the map
 * with etcd's range at the map's revision (one small range request), and on a difference has the
 * watcher re-read the prefix. The timers never hold the process open.
 */
export class DriftCheck {
  private interval?: NodeJS.Timeout;
  private recheckTimer?: NodeJS.Timeout;
  private running = false;
  private stopped = false;

  constructor(
    private readonly host: DriftCheckHost,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    if (this.intervalMs <= 0 || this.stopped) return;
    this.interval = setInterval(() => void this.check(false), this.intervalMs);
    this.interval.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.interval);
    clearTimeout(this.recheckTimer);
  }

  /** One check (`recheck`: a difference seen at a newer revision is now drift); resolves with its verdict, if one was made. */
  async check(recheck: boolean): Promise<DriftVerdict | undefined> {
    if (this.running || this.stopped) return undefined;
    // Taken before the request leaves: the map is exact at this revision with these counts.
    const map = this.host.fingerprint();
    if (!map) return undefined;
    this.running = true;
    try {
      const etcd = await this.host.read(map.revision);
      if (this.stopped) return undefined;
      const verdict = driftVerdict(map, etcd, recheck);
      if (verdict === 'drift') this.host.drift(driftReason(map, etcd));
      else if (verdict === 'recheck' && !this.recheckTimer) {
        this.recheckTimer = setTimeout(() => {
          this.recheckTimer = undefined;
          void this.check(true);
        }, DRIFT_RECHECK_MS);
        this.recheckTimer.unref();
      }
      return verdict;
    } catch (error) {
      if (!this.stopped) this.host.failed(error);
      return undefined;
    } finally {
      this.running = false;
    }
  }
}
