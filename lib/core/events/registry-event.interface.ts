import type { InstanceEjectedEvent } from '../balancing/balancer-events';

/**
 * What a registry reports as it happens (a framework-free typed union; `at` is epoch ms).
 * Every event but `delivered` matches a log line of the registry.
 */
export type RegistryEvent =
  | RegisteredEvent
  | UpdatedEvent
  | DrainingEvent
  | UnregisteredEvent
  | LeaseLostEvent
  | LeaseRestoredEvent
  | WatchResyncedEvent
  | WatchStaleEvent
  | WatchLiveEvent
  | DeliveredEvent
  | InstanceEjectedEvent
  | RegistryErrorEvent;

/** The type names of RegistryEvent. */
export type RegistryEventType = RegistryEvent['type'];

/**
 * Event types are named `<subject>-<change>` where a subject is not the registration itself:
 * `lease-lost` / `lease-restored`, `watch-resynced` / `watch-stale` / `watch-live`, and
 * `instance-ejected` (the balancer's own events are `instance-ejected`, `instance-restored`,
 * `instance-left`, with the same shapes).
 */

/** `path` is in etcd under `lease` (a first write; a re-write after a loss is `lease-restored`). */
export interface RegisteredEvent {
  readonly type: 'registered';
  readonly at: number;
  readonly path: string;
  readonly lease: string;
}

/** A registered `path` was written again with a new value (e.g. marked draining); not a new registration. */
export interface UpdatedEvent {
  readonly type: 'updated';
  readonly at: number;
  readonly path: string;
  readonly lease: string;
}

/**
 * The application's instance at `path` started its graceful drain (shutdown with drainMs): its
 * value was re-written with status draining (`mode` 'marked'), or, a plain value, its key deleted
 * first ('deleted'). It serves on for `drainMs`. Emitted by the Nest layer's shutdown.
 */
export interface DrainingEvent {
  readonly type: 'draining';
  readonly at: number;
  readonly path: string;
  readonly mode: 'marked' | 'deleted';
  readonly drainMs: number;
}

/** `path` was deleted by unregister(). */
export interface UnregisteredEvent {
  readonly type: 'unregistered';
  readonly at: number;
  readonly path: string;
}

/** The lease of `keys` registered paths is gone (expired, revoked from outside, etcd restarted without data); a restore follows. */
export interface LeaseLostEvent {
  readonly type: 'lease-lost';
  readonly at: number;
  readonly lease: string;
  readonly cause: string;
  readonly keys: number;
}

/** Every registered path is in etcd again, under `lease` (`keys` of them were written again). */
export interface LeaseRestoredEvent {
  readonly type: 'lease-restored';
  readonly at: number;
  readonly lease: string;
  readonly keys: number;
}

/**
 * Why a watch read its prefix again, in a few words fit for a metric label: its etcd watch was
 * lost (disconnect, compaction, a stream closed), `resyncIntervalMs` came round, a new cluster
 * answers, or the anti-entropy check found the map had drifted from etcd.
 */
export type WatchResyncKind = 'lost' | 'periodic' | 'new-cluster' | 'drift';

/**
 * The watch of `prefix` read the prefix again (after a disconnect, compaction, a new cluster) and
 * its map changed; or the anti-entropy check found it had drifted from etcd (`kind` 'drift', the
 * reason starting with 'drift'), said even when the re-read changed no value.
 */
export interface WatchResyncedEvent {
  readonly type: 'watch-resynced';
  readonly at: number;
  readonly prefix: string;
  readonly kind: WatchResyncKind;
  readonly reason: string;
  readonly size: number;
  readonly revision: string;
}

/** The watch of `prefix` stopped being live: its handlers keep the last map until it is live again. */
export interface WatchStaleEvent {
  readonly type: 'watch-stale';
  readonly at: number;
  readonly prefix: string;
  readonly reason: string;
}

/** The watch of `prefix` is live again after `staleMs` ms. */
export interface WatchLiveEvent {
  readonly type: 'watch-live';
  readonly at: number;
  readonly prefix: string;
  readonly staleMs: number;
}

/**
 * A handler of `prefix` got a map: `latencyMs` from the change reaching the handler's queue to
 * the handler's call having returned (coalescing wait and the handler's own time included).
 */
export interface DeliveredEvent {
  readonly type: 'delivered';
  readonly at: number;
  readonly prefix: string;
  readonly latencyMs: number;
}

/**
 * A client stopped picking an instance that failed (outlier ejection): the balancer's own
 * `instance-ejected` event, forwarded as is. Emitted by the clients of the balancing work
 * (lib/core/balancing), not by the registry itself.
 */
export type { InstanceEjectedEvent };

/** Where an error event comes from. */
export type RegistryErrorSource = 'handler' | 'watch' | 'lease' | 'conflict';

/** Something failed that the registry keeps working around (a handler threw, a resync or restore attempt failed, a conflict). */
export interface RegistryErrorEvent {
  readonly type: 'error';
  readonly at: number;
  readonly source: RegistryErrorSource;
  readonly message: string;
  /** The path or prefix concerned, when there is one. */
  readonly subject?: string | undefined;
  readonly error?: unknown;
}
