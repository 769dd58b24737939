import type { EtcdRegistryModuleOptions } from './etcd-registry-module-options.interface';

/** A class for `EtcdRegistryModule.forRootAsync({ useClass })` / `useExisting`. */
export interface EtcdRegistryOptionsFactory {
  createEtcdRegistryOptions(): EtcdRegistryModuleOptions | Promise<EtcdRegistryModuleOptions>;
}
