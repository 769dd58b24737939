/**
 * A synchronous snapshot of what the registry holds and how fresh it is: the signal for
 * staleness (health checks, dashboards, tests). Times are epoch milliseconds (Date.now()).
 */
export interface RegistryStatus {
  /** The lease all registered keys are under; undefined before the first register, after close, or while it is re-granted. */
  readonly lease?: LeaseStatus;
  /** Each path registered through this registry. */
  readonly registrations: readonly RegistrationStatus[];
  /** Each watched prefix. */
  readonly watches: readonly WatchStatus[];
  /** True once close() was called. */
  readonly closed: boolean;
}

export interface LeaseStatus {
  /** The lease id, as etcd prints it (decimal). */
  readonly id: string;
  readonly ttlSeconds: number;
  /** When etcd last confirmed the lease (grant or keep-alive); undefined if it never did. */
  readonly lastKeepAliveAt?: number;
}

/**
 * `registered`: etcd holds the key under our lease; `restoring`: the lease or the key was lost and
 * is being written again; `conflict`: another holder has the key (never overwritten).
 */
export type RegistrationState = 'registered' | 'restoring' | 'conflict';

export interface RegistrationStatus {
  readonly path: string;
  readonly state: RegistrationState;
  /** The lease of the other holder while `state` is `conflict`. */
  readonly conflictWith?: string;
}

export interface WatchStatus {
  readonly prefix: string;
  /** The etcd revision the map handed to handlers is current at (decimal string); undefined before the first read. */
  readonly revision?: string;
  /** True when the watch stream is established on a member with a leader and events flow. */
  readonly live: boolean;
  /** Since when the watch is not live; undefined while it is live. */
  readonly staleSince?: number;
  /** How many handlers are subscribed. */
  readonly handlers: number;
}
