/** Injection token of the etcd3 client shared by the registry (override it in tests to hand in another client). */
export const ETCD_CLIENT = Symbol('ETCD_CLIENT');

/** Injection token of the core Registry behind RegistryService (the testing kit swaps in an in-memory one). */
export const ETCD_REGISTRY = Symbol('ETCD_REGISTRY');

/** Injection token of the module options with defaults applied and validated. */
export const ETCD_REGISTRY_RESOLVED_OPTIONS = Symbol('ETCD_REGISTRY_RESOLVED_OPTIONS');

/** Context name of every Nest log line of this package. */
export const ETCD_REGISTRY_LOGGER_CONTEXT = 'EtcdRegistry';

/** Default key prefix of the configured service: the Go etcdService layout. */
export const DEFAULT_SERVICE_PREFIX = '/services/';
