export * from './errors';
export type {
  MapChanges,
  Registry,
  RegistryLogger,
  RegistryOptions,
  RegistryTlsOptions,
  ServiceMap,
  WatchHandler,
  WatchOptions,
  WatchSubscription,
} from './registry.interface';
export type { LeaseStatus, RegistrationState, RegistrationStatus, RegistryStatus, WatchStatus } from './status.interface';
export { resolveRegistryOptions, DEFAULT_TIMEOUT_MS, DEFAULT_TTL_SECONDS } from './options';
export type { ResolvedRegistryOptions } from './options';
export { createEtcdClient } from './lazy-etcd';
export { createRegistry, EtcdRegistry } from './etcd-registry';
export * from './instances';
export * from './balancing';
export * from './events';
export * from './metrics';
