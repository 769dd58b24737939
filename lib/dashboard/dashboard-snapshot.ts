import type { InstanceChanges, InstanceMap, ServiceInstance } from '../core';

/** One row of the page. Every string is untrusted (it comes from etcd): the page renders it as text. */
export interface DashboardInstance {
  readonly service: string;
  readonly id: string;
  readonly key: string;
  readonly address: string;
  readonly status: string;
  readonly zone?: string;
  readonly version?: string;
  readonly weight: number;
  /** When the page's server first saw this instance (epoch ms). */
  readonly firstSeenAt: number;
  /** True when it was already there when the server started watching: its age is at least `now - firstSeenAt`. */
  readonly seenAtStart: boolean;
}

/** The first event a page gets (and again after a reconnect): the whole picture. */
export interface DashboardSnapshot {
  readonly type: 'snapshot';
  readonly prefix: string;
  readonly codec: string;
  /** The etcd revision the list is exact at, when known. */
  readonly revision?: string;
  /** Whether the etcd watch is live (false while etcd is unreachable: the list may be stale). */
  readonly live: boolean;
  /** Why there is no list yet (the watch could not start), when so. */
  readonly error?: string;
  /** The server's clock when this was sent (epoch ms), for ages that ignore the browser's clock. */
  readonly now: number;
  readonly instances: readonly DashboardInstance[];
  readonly skipped: readonly { readonly key: string; readonly reason: string }[];
}

/**
 * Every later event: what changed since the last one (coalesced, a few a second), and the watch's
 * state. `remove` holds row identities (dashboardRowId); `skipped` is there when it changed.
 */
export interface DashboardChanges {
  readonly type: 'changes';
  readonly revision?: string;
  readonly live: boolean;
  readonly error?: string;
  readonly now: number;
  readonly upsert: readonly DashboardInstance[];
  readonly remove: readonly string[];
  readonly skipped?: readonly { readonly key: string; readonly reason: string }[];
}

/** A row's identity: a key may hold several instances (go-micro), an instance lives under one key. The page computes the same. */
export const dashboardRowId = (i: { key: string; service: string; id: string }): string => `${i.key}\u0000${i.service}\u0000${i.id}`;

const rowOf = (i: ServiceInstance, firstSeenAt: number, seenAtStart: boolean): DashboardInstance => ({
  service: i.name,
  id: i.id,
  key: i.key,
  address: i.address,
  status: i.status,
  zone: i.zone,
  version: i.version,
  weight: i.weight,
  firstSeenAt,
  seenAtStart,
});

/**
 * The page's rows, kept from the watch's change sets: each delivery touches only the keys it
 * changed (O(changed) rows built, one pass over the map to find them), and what changed is kept
 * until taken (coalesced: a row changed twice is sent once). Remembers when each instance was
 * first seen (forgotten when it leaves); the first map's instances are marked seen at start (age
 * unknown, at least the watch's). Pure apart from the clock it is given.
 */
export class DashboardRows {
  private readonly rows = new Map<string, DashboardInstance>();
  private readonly idsByKey = new Map<string, Set<string>>();
  private pending = new Map<string, DashboardInstance | null>();
  private started = false;

  apply(map: InstanceMap, changes: Pick<InstanceChanges, 'added' | 'removed' | 'updated'> | undefined, now: number): void {
    const touched = changes ? new Set([...changes.added, ...changes.updated, ...changes.removed]) : undefined;
    const atStart = !this.started;
    this.started = true;
    const before = new Set<string>();
    for (const key of touched ?? this.idsByKey.keys()) for (const id of this.idsByKey.get(key) ?? []) before.add(id);
    if (!touched) this.idsByKey.clear();
    else for (const key of touched) this.idsByKey.delete(key);
    if (touched?.size === 0) return;
    for (const i of map.all()) {
      if (touched && !touched.has(i.key)) continue;
      const id = dashboardRowId({ key: i.key, service: i.name, id: i.id });
      const old = this.rows.get(id);
      const row = rowOf(i, old?.firstSeenAt ?? now, old ? old.seenAtStart : atStart);
      before.delete(id);
      let ids = this.idsByKey.get(i.key);
      if (!ids) this.idsByKey.set(i.key, (ids = new Set()));
      ids.add(id);
      if (old && sameRow(old, row)) continue;
      this.rows.set(id, row);
      this.pending.set(id, row);
    }
    for (const id of before) {
      this.rows.delete(id);
      this.pending.set(id, null);
    }
  }

  /** Every row, in no particular order. */
  all(): DashboardInstance[] {
    return [...this.rows.values()];
  }

  get size(): number {
    return this.rows.size;
  }

  /** What changed since the last call (and forgets it). */
  take(): { upsert: DashboardInstance[]; remove: string[] } {
    const upsert: DashboardInstance[] = [];
    const remove: string[] = [];
    for (const [id, row] of this.pending)
      if (row) upsert.push(row);
      else remove.push(id);
    this.pending = new Map();
    return { upsert, remove };
  }
}

const sameRow = (a: DashboardInstance, b: DashboardInstance): boolean =>
  a.address === b.address && a.status === b.status && a.zone === b.zone && a.version === b.version && a.weight === b.weight;
