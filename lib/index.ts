export * from './core';
export { EtcdRegistryModule } from './etcd-registry.module';
export { RegistryService } from './registry.service';
export { WatchServices } from './decorators';
export type { WatchServicesOptions } from './decorators';
export { ETCD_CLIENT, ETCD_REGISTRY } from './etcd-registry.constants';
export { ETCD_REGISTRY_MODULE_OPTIONS } from './etcd-registry.module-definition';
export { resolveEtcdRegistryModuleOptions } from './etcd-registry.options';
export type { ResolvedEtcdRegistryModuleOptions } from './etcd-registry.options';
export type {
  EtcdRegistryModuleOptions,
  EtcdRegistryOptionsFactory,
  EtcdRegistryServiceOptions,
  ResolvedEtcdRegistryService,
} from './interfaces';
