export * from './core';
export { EtcdRegistryModule } from './module/etcd-registry.module';
export { RegistryService } from './service/registry.service';
export { WatchServices } from './watch-services/watch-services.decorator';
export type { WatchServicesOptions } from './watch-services/watch-services.decorator';
export { ETCD_CLIENT, ETCD_REGISTRY } from './options/etcd-registry.constants';
export { ETCD_REGISTRY_MODULE_OPTIONS } from './options/etcd-registry.module-definition';
export { resolveEtcdRegistryModuleOptions } from './options/etcd-registry.options';
export type { ResolvedEtcdRegistryModuleOptions } from './options/etcd-registry.options';
export type {
  EtcdRegistryModuleOptions,
  EtcdRegistryOptionsFactory,
  EtcdRegistryServiceOptions,
  ResolvedEtcdRegistryService,
} from './options/interfaces';
