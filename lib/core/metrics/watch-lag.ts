import type { RegistryStatus } from '../status.interface';

/**
 * Watch lag per prefix, in seconds: how long the map its handlers act on may be behind etcd, i.e.
 * since when the watch is not live (0 while it is live). A live watch delivers changes within
 * milliseconds (see the delivery latency); a stale one delivers nothing until it is live again.
 */
export function watchLagSeconds(status: RegistryStatus, now = Date.now()): { prefix: string; seconds: number }[] {
  return status.watches.map((w) => ({
    prefix: w.prefix,
    seconds: w.live || w.staleSince === undefined ? 0 : Math.max(0, now - w.staleSince) / 1000,
  }));
}
