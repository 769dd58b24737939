import type { InstanceCodecChoice, InstanceStatus, RegistryOptions } from '../../core';

/** The instance this application announces: key `${prefix}${name}/${id}`, value `value`. */
export interface EtcdRegistryServiceOptions {
  /** Service name, e.g. `user-service`. No '/'. */
  name: string;
  /** Instance id, unique among the service's instances. Default: `${hostname}-${pid}-${random}`. No '/'. */
  id?: string | undefined;
  /** Where the instance answers, e.g. `10.0.0.5:3000`. */
  address: string;
  /** Key prefix, ending with '/'. Default `/services/`. */
  prefix?: string | undefined;
  /** Value stored under the key. Default `address` (plain `host:port`, as Go etcdService services expect). */
  value?: string | undefined;
  /**
   * How the instance is written: `etcd-service` (the default: plain `host:port`), `json` (our JSON
   * value, which carries the fields below), or `grpc-naming` (etcd's gRPC naming, key
   * `${target}/${address}`, so Go gRPC clients dialling `etcd:///${target}` find it; see `target`).
   */
  codec?: InstanceCodecChoice | undefined;
  /** URLs with a scheme where it answers, e.g. `['http://10.0.0.5:3000', 'grpc://10.0.0.5:5000']` (json). */
  endpoints?: string[] | undefined;
  /** Version it runs, e.g. `1.4.2` (json; grpc-naming puts it in Metadata). */
  version?: string | undefined;
  /** String metadata (json, grpc-naming). */
  metadata?: Record<string, string> | undefined;
  /** Zone it runs in (json; grpc-naming puts it in Metadata). */
  zone?: string | undefined;
  /** Load-balancing weight >= 0, default 1 (json; grpc-naming puts it in Metadata). */
  weight?: number | undefined;
  /** `up` (default) or `draining` (json). */
  status?: InstanceStatus | undefined;
  /**
   * grpc-naming only: the target Go clients dial, as they write it after `etcd:///`, e.g.
   * `foo/bar/users` (dialled `etcd:///foo/bar/users`) or `users`; the key is `${target}/${address}`.
   * Its last segment is `name`. Excludes `prefix`. Default `${prefix}${name}` (dialled
   * `etcd:///` + that: `etcd:////services/users` for the default prefix).
   */
  target?: string | undefined;
}

/** Options of EtcdRegistryModule.forRoot / forRootAsync: the core's options plus the Nest-only ones. */
export interface EtcdRegistryModuleOptions extends RegistryOptions {
  /** The instance to register; leave out for an application that only discovers. */
  service?: EtcdRegistryServiceOptions | undefined;
  /**
   * Register `service` once the application has started: inside `app.listen()` once the port is
   * bound (HTTP application), at the end of `app.init()` otherwise. Default true. Set false to
   * register yourself with `RegistryService.registerService()`. A start that fails leaves nothing
   * in etcd.
   */
  autoRegister?: boolean | undefined;
  /**
   * Graceful drain on shutdown (app.close(), SIGTERM with enableShutdownHooks): the instance is
   * first taken out of rotation (re-written with status `draining` by the json codec; deleted at
   * once for values that cannot carry a status, such as plain host:port), the application keeps
   * serving for `drainMs` while in-flight requests finish, then the key is deleted and the lease
   * revoked. Default 0: deleted at once. The shutdown then takes at most drainMs + timeoutMs.
   */
  drainMs?: number | undefined;
}

/** The configured service with defaults applied. */
export interface ResolvedEtcdRegistryService {
  name: string;
  id: string;
  address: string;
  prefix: string;
  value: string;
  /** `${prefix}${name}/${id}` (`${prefix}${name}/${address}` with the grpc-naming codec) */
  key: string;
  /** Name of the codec that wrote `value`; absent when neither `service.codec` nor an instance field is set (plain `address`). */
  codec?: string | undefined;
  /** The value with status `draining`, when the codec carries a status (json); written at the start of a drain. */
  drainingValue?: string | undefined;
}
