import type { MapChanges } from '../registry.interface';
/** Whether an instance takes new work (`up`) or is finishing what it has before leaving (`draining`). */
export type InstanceStatus = 'up' | 'draining';

/** One instance of a service, as a codec read it from etcd. Frozen. */
export interface ServiceInstance {
  /** Service name, e.g. `user-service`. */
  readonly name: string;
  /** Instance id, unique among the service's instances (for gRPC naming: the address). */
  readonly id: string;
  /** Where it answers: `host:port` (`[::1]:3000` for IPv6). */
  readonly address: string;
  /** URLs with a scheme, e.g. `http://10.0.0.5:3000`, `grpc://10.0.0.5:5000`; empty when the format has none. */
  readonly endpoints: readonly string[];
  /** Version of the service it runs, when the format carries one. */
  readonly version?: string | undefined;
  /** Free-form string metadata (empty object when none). */
  readonly metadata: Readonly<Record<string, string>>;
  /** Zone (or region, rack...) it runs in, when known. */
  readonly zone?: string | undefined;
  /** Relative weight for load balancing, >= 0. Default 1. */
  readonly weight: number;
  /** `up` unless the instance announced it is draining. */
  readonly status: InstanceStatus;
  /** The etcd key it was read from (without the registry's namespace). */
  readonly key: string;
  /** The raw value under `key`. */
  readonly value: string;
  /**
   * etcd's mod_revision of `key` when this value was read: the revision that wrote it. Undefined
   * only when the registry does not know revisions (an in-memory registry).
   */
  readonly revision?: string | undefined;
  /** Name of the codec that read it. */
  readonly codec: string;
}

/** An entry under the watched prefix that the codec could not read. */
export interface SkippedEntry {
  readonly key: string;
  readonly reason: string;
}

/**
 * The instances under a prefix by service name, services and instances in key order. Also
 * carries the entries the codec could not read (`skipped`): what a handler needs to see that a
 * part of the fleet is invisible to it, on the very map it acts on.
 */
export interface InstanceMap extends ReadonlyMap<string, readonly ServiceInstance[]> {
  readonly skipped: readonly SkippedEntry[];
  /** Every instance of every service, in key order. */
  all(): readonly ServiceInstance[];
}

/**
 * What changed between the instance map a handler was handed before (`previous`; undefined on its
 * first call, when every key counts as added) and the one of this call, as etcd keys under the
 * prefix (an instance's `key`; a key the codec could not read is in `skipped`): the watch's
 * MapChanges, with the previous instance map.
 */
export type InstanceChanges = MapChanges<InstanceMap>;

/** A callback of watchInstances: gets the whole instance map first, then a new one after each change, with what changed. */
export type InstanceHandler = (instances: InstanceMap, changes: InstanceChanges) => void | Promise<void>;

/** What a writer codec turns into a key and a value (see encodeRegistration). */
export interface InstanceRegistration {
  /** Key prefix, starting and ending with '/', e.g. `/services/`. */
  readonly prefix: string;
  readonly name: string;
  readonly id: string;
  readonly address: string;
  readonly endpoints?: readonly string[] | undefined;
  readonly version?: string | undefined;
  readonly metadata?: Readonly<Record<string, string>> | undefined;
  readonly zone?: string | undefined;
  readonly weight?: number | undefined;
  readonly status?: InstanceStatus | undefined;
  /**
   * grpc-naming only: the target Go dials, exactly (`foo/bar/my-service` for
   * `etcd:///foo/bar/my-service`); the key is `{target}/{address}` instead of `{prefix}{name}/{address}`.
   */
  readonly target?: string | undefined;
}
