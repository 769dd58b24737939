import { Module, Provider } from '@nestjs/common';
import { DiscoveryModule, ModulesContainer } from '@nestjs/core';
import type { Etcd3 } from 'etcd3';
import { createEtcdClient, EtcdRegistry } from '../core';
import { ETCD_CLIENT, ETCD_REGISTRY, ETCD_REGISTRY_RESOLVED_OPTIONS } from '../options/etcd-registry.constants';
import { ConfigurableModuleClass, ETCD_REGISTRY_MODULE_OPTIONS } from '../options/etcd-registry.module-definition';
import { defaultInstanceId, resolveEtcdRegistryModuleOptions, ResolvedEtcdRegistryModuleOptions } from '../options/etcd-registry.options';
import type { EtcdRegistryModuleOptions } from '../options/interfaces';
import { registryFaceProviders } from './etcd-registry.providers';
import { defaultRegistryLogger } from '../options/registry-logger';
import { RegistryService } from '../service/registry.service';
import { assertImportedOnce } from './single-import.check';

/**
 * Options resolved once, at startup, before any client exists (a bad option fails the application's
 * creation with an error naming it); every other provider takes them as they are.
 */
const resolvedOptionsProvider: Provider = {
  provide: ETCD_REGISTRY_RESOLVED_OPTIONS,
  useFactory: (options: EtcdRegistryModuleOptions): ResolvedEtcdRegistryModuleOptions =>
    resolveEtcdRegistryModuleOptions(options, defaultInstanceId, defaultRegistryLogger()),
  inject: [ETCD_REGISTRY_MODULE_OPTIONS],
};

/** The one place the etcd client is created; override ETCD_CLIENT to hand in another. */
const etcdClientProvider: Provider = {
  provide: ETCD_CLIENT,
  useFactory: (options: ResolvedEtcdRegistryModuleOptions) => createEtcdClient(options.registry),
  inject: [ETCD_REGISTRY_RESOLVED_OPTIONS],
};

/** The core registry over that client, with the options as resolved (RegistryService closes the client after the registry). */
const registryProvider: Provider = {
  provide: ETCD_REGISTRY,
  useFactory: (options: ResolvedEtcdRegistryModuleOptions, client: Etcd3) => new EtcdRegistry(options.registry, client, false),
  inject: [ETCD_REGISTRY_RESOLVED_OPTIONS, ETCD_CLIENT],
};

/**
 * Registers this application in etcd and discovers the others.
 *
 * ```ts
 * EtcdRegistryModule.forRootAsync({
 *   imports: [ConfigModule],
 *   inject: [ConfigService],
 *   useFactory: (config: ConfigService) => ({
 *     endpoints: config.getOrThrow<string>('ETCD_ENDPOINTS').split(','),
 *     service: { name: 'user-service', address: config.getOrThrow('ADVERTISE_ADDRESS') },
 *   }),
 * })
 * ```
 */
@Module({
  imports: [DiscoveryModule],
  providers: [resolvedOptionsProvider, etcdClientProvider, registryProvider, ...registryFaceProviders],
  exports: [RegistryService, ETCD_CLIENT],
})
export class EtcdRegistryModule extends ConfigurableModuleClass {
  /** Refuses a second, differently configured copy in the same application (one registration per process). */
  constructor(modules: ModulesContainer) {
    super();
    assertImportedOnce(modules, EtcdRegistryModule);
  }
}
