// The root entry: what an application uses (the Nest module, RegistryService, @WatchServices, the
// instance model, the client-side balancer and the errors it may catch). Everything else of the
// framework-free core (codecs, pickers, option resolvers, counters...) is at `nestjs-etcd-registry/core`.

// Nest
export { EtcdRegistryModule } from './module/etcd-registry.module';
export { RegistryService } from './service/registry.service';
export { WatchServices } from './watch-services/watch-services.decorator';
export type { WatchServicesOptions } from './watch-services/watch-services.decorator';
export { ETCD_CLIENT, ETCD_REGISTRY } from './options/etcd-registry.constants';
export type { EtcdRegistryModuleOptions, EtcdRegistryOptionsFactory, EtcdRegistryServiceOptions } from './options/interfaces';

// The registry (also usable without Nest)
export { createRegistry, EtcdRegistry } from './core/etcd-registry';
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
} from './core/registry.interface';
export type { LeaseStatus, RegistrationState, RegistrationStatus, RegistryStatus, WatchStatus } from './core/status.interface';

// Instances
export { getInstances, watchInstances } from './core/instances';
export type {
  InstanceChanges,
  InstanceCodecChoice,
  InstanceHandler,
  InstanceMap,
  InstanceRegistration,
  InstanceStatus,
  ServiceInstance,
} from './core/instances';

// Client-side balancing
export { LoadBalancer } from './core/balancing';
export type { BalancerEvent, InstanceEjectedEvent, LoadBalancerOptions, PickerName } from './core/balancing';

// Events
export type { RegistryEvent, RegistryEventType } from './core/events';

// Errors
export {
  RegistryArgumentError,
  RegistryAuthError,
  RegistryClosedError,
  RegistryError,
  RegistryOptionsError,
  RegistryRefusedError,
  RegistryUnavailableError,
  ServiceConflictError,
  WatchRemovedError,
} from './core/errors';
export { AttemptTimeoutError, CallDeadlineError, NoInstanceAddressError, NoLiveInstanceError, UnknownServiceError } from './core/balancing';
