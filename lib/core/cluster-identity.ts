/** The part of an etcd response header that tells which cluster answered and how far it is. */
export interface ResponseHeader {
  cluster_id?: string;
  revision?: string;
}

/**
 * Which etcd cluster the registry talks to, and the highest revision seen from it. It says
 * "the cluster changed" when a response comes from another cluster id, or when a linearizable
 * call answers with a revision lower than one already seen before the call was sent: etcd's
 * revisions never go back, so the data behind the endpoints was replaced (wiped, rebuilt,
 * restored from an old backup). Every watch must then start afresh from a new read: resuming
 * from an old, higher revision would wait for events that never come.
 *
 * One instance per registry, shared by the prefix watchers and the lease keeper; each
 * subscribes with `onChange` and restarts its own watches.
 */
export class ClusterIdentity {
  private clusterId?: string;
  private highest = 0n;
  private readonly listeners = new Set<(reason: string) => void>();

  /** The highest revision seen from the current cluster (0n before any answer). */
  get highestRevision(): bigint {
    return this.highest;
  }

  /** Calls `listener` (with the reason) each time the cluster changes; returns an unsubscribe. */
  onChange(listener: (reason: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Notes the cluster id of a watch response (once per event: nothing to do while it is the same). */
  observeCluster(id: string | undefined): void {
    if (id === this.clusterId) return;
    this.observe({ cluster_id: id });
  }

  /**
   * Notes a response header. `floor` is `highestRevision` as it was when the call was sent, for
   * linearizable calls (reads, writes) only: a watch or a lagging member may legitimately answer
   * with an older revision. Returns true when the header revealed a new cluster.
   */
  observe(header: ResponseHeader | undefined, floor?: bigint): boolean {
    if (!header) return false;
    const id = header.cluster_id && header.cluster_id !== '0' ? String(header.cluster_id) : undefined;
    const revision = header.revision === undefined ? undefined : BigInt(header.revision);
    let reason: string | undefined;
    if (id !== undefined && this.clusterId !== undefined && id !== this.clusterId) {
      reason = `cluster id ${this.clusterId} -> ${id}`;
    } else if (revision !== undefined && floor !== undefined && revision < floor) {
      reason = `revision went back from ${floor} to ${revision}`;
    }
    if (id !== undefined) this.clusterId = id;
    if (reason !== undefined) {
      this.highest = revision ?? 0n;
      for (const listener of [...this.listeners]) listener(reason);
      return true;
    }
    if (revision !== undefined && revision > this.highest) this.highest = revision;
    return false;
  }
}
