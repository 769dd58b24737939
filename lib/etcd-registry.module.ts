import { Module, Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import type { Etcd3 } from 'etcd3';
import { createEtcdClient, createRegistry, resolveRegistryOptions } from './core';
import { ETCD_CLIENT, ETCD_REGISTRY, ETCD_REGISTRY_RESOLVED_OPTIONS } from './etcd-registry.constants';
import { ConfigurableModuleClass, ETCD_REGISTRY_MODULE_OPTIONS } from './etcd-registry.module-definition';
import { resolveEtcdRegistryModuleOptions, ResolvedEtcdRegistryModuleOptions } from './etcd-registry.options';
import type { EtcdRegistryModuleOptions } from './interfaces';
import { defaultRegistryLogger } from './registry-logger';
import { RegistryMetadataAccessor } from './registry-metadata.accessor';
import { RegistryService } from './registry.service';
import { WatchServicesExplorer } from './watch-services.explorer';

/** Options validated at startup: a bad option fails the application's creation with an error naming it. */
const resolvedOptionsProvider: Provider = {
  provide: ETCD_REGISTRY_RESOLVED_OPTIONS,
  useFactory: (options: EtcdRegistryModuleOptions) => {
    const resolved = resolveEtcdRegistryModuleOptions(options);
    resolveRegistryOptions(resolved.registry); // the core's checks, before any client exists
    return resolved;
  },
  inject: [ETCD_REGISTRY_MODULE_OPTIONS],
};

/** The one place the etcd client is created; override ETCD_CLIENT to hand in another. */
const etcdClientProvider: Provider = {
  provide: ETCD_CLIENT,
  useFactory: (options: ResolvedEtcdRegistryModuleOptions) => createEtcdClient(resolveRegistryOptions(options.registry)),
  inject: [ETCD_REGISTRY_RESOLVED_OPTIONS],
};

/** The core registry over that client (RegistryService closes the client after the registry). */
const registryProvider: Provider = {
  provide: ETCD_REGISTRY,
  useFactory: (options: ResolvedEtcdRegistryModuleOptions, client: Etcd3) =>
    createRegistry({ ...options.registry, logger: options.registry.logger ?? defaultRegistryLogger() }, client),
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
  providers: [resolvedOptionsProvider, etcdClientProvider, registryProvider, RegistryService, RegistryMetadataAccessor, WatchServicesExplorer],
  exports: [RegistryService, ETCD_CLIENT],
})
export class EtcdRegistryModule extends ConfigurableModuleClass {}
