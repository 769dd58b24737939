import type { RegistryOptions } from '../core';

/** The instance this application announces: key `${prefix}${name}/${id}`, value `value`. */
export interface EtcdRegistryServiceOptions {
  /** Service name, e.g. `user-service`. No '/'. */
  name: string;
  /** Instance id, unique among the service's instances. Default: `${hostname}-${pid}-${random}`. No '/'. */
  id?: string;
  /** Where the instance answers, e.g. `10.0.0.5:3000`. */
  address: string;
  /** Key prefix, ending with '/'. Default `/services/`. */
  prefix?: string;
  /** Value stored under the key. Default `address` (plain `host:port`, as Go etcdService services expect). */
  value?: string;
}

/** Options of EtcdRegistryModule.forRoot / forRootAsync: the core's options plus the Nest-only ones. */
export interface EtcdRegistryModuleOptions extends RegistryOptions {
  /** The instance to register; leave out for an application that only discovers. */
  service?: EtcdRegistryServiceOptions;
  /**
   * Register `service` once the application has started: inside `app.listen()` once the port is
   * bound (HTTP application), at the end of `app.init()` otherwise. Default true. Set false to
   * register yourself with `RegistryService.registerService()`. A start that fails leaves nothing
   * in etcd.
   */
  autoRegister?: boolean;
}

/** The configured service with defaults applied. */
export interface ResolvedEtcdRegistryService {
  name: string;
  id: string;
  address: string;
  prefix: string;
  value: string;
  /** `${prefix}${name}/${id}` */
  key: string;
}
