import type { InstanceMap, ServiceInstance } from '../core';

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

/** What each server-sent event carries: the whole picture, so a page that reconnects needs nothing else. */
export interface DashboardSnapshot {
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

const identity = (i: ServiceInstance) => `${i.key}\u0000${i.name}\u0000${i.id}`;

/**
 * Keeps when each instance was first seen (forgotten when it leaves) and turns instance maps into
 * snapshots. The first map marks what it holds as seen at start (age unknown, at least the
 * watch's). Pure apart from the clock it is given.
 */
export class InstanceAges {
  private firstSeen = new Map<string, { at: number; atStart: boolean }>();
  private started = false;

  apply(map: InstanceMap, now: number): DashboardInstance[] {
    const next = new Map<string, { at: number; atStart: boolean }>();
    const rows = map.all().map((i) => {
      const id = identity(i);
      const seen = this.firstSeen.get(id) ?? { at: now, atStart: !this.started };
      next.set(id, seen);
      return {
        service: i.name,
        id: i.id,
        key: i.key,
        address: i.address,
        status: i.status,
        zone: i.zone,
        version: i.version,
        weight: i.weight,
        firstSeenAt: seen.at,
        seenAtStart: seen.atStart,
      };
    });
    this.firstSeen = next;
    this.started = true;
    return rows;
  }
}
