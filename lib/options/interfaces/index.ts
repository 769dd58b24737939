export type {
  EtcdRegistryModuleOptions,
  EtcdRegistryServiceOptions,
  ResolvedEtcdRegistryService,
} from './etcd-registry-module-options.interface';
export type { EtcdRegistryOptionsFactory } from './etcd-registry-options-factory.interface';
