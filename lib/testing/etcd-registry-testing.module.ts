import { DynamicModule, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ETCD_REGISTRY, ETCD_REGISTRY_RESOLVED_OPTIONS } from '../options/etcd-registry.constants';
import type { ResolvedEtcdRegistryModuleOptions } from '../options/etcd-registry.options';
import { registryFaceProviders } from '../module/etcd-registry.providers';
import { RegistryService } from '../service/registry.service';
import {
  ETCD_REGISTRY_TESTING_OPTIONS,
  EtcdRegistryTestingConfigurableModule,
  TESTING_OPTIONS_TYPE,
} from './etcd-registry-testing.module-definition';
import { EtcdRegistryTestingOptions, resolveTestingOptions, testingRegistry } from './etcd-registry-testing.options';
import { InMemoryRegistry } from './in-memory-registry';

/**
 * EtcdRegistryModule for tests, with no etcd: RegistryService and the @WatchServices explorer as in
 * the real module, over an InMemoryRegistry (no etcd client is created). Get the registry with
 * `moduleRef.get(InMemoryRegistry)` to make instances appear, leave, crash, or etcd unavailable.
 *
 * ```ts
 * const moduleRef = await Test.createTestingModule({
 *   imports: [EtcdRegistryTestingModule.forRoot()],
 *   providers: [UserServicePool],
 * }).compile();
 * ```
 *
 * `forRootAsync({ imports, inject, useFactory })` (or `useClass` / `useExisting`) takes the options
 * from a factory, as EtcdRegistryModule.forRootAsync does.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    // The resolved options (a bad option fails the module's compilation, naming it) and the InMemoryRegistry.
    {
      provide: ETCD_REGISTRY_RESOLVED_OPTIONS,
      useFactory: (options: EtcdRegistryTestingOptions) => resolveTestingOptions(options),
      inject: [ETCD_REGISTRY_TESTING_OPTIONS],
    },
    {
      provide: InMemoryRegistry,
      useFactory: (options: EtcdRegistryTestingOptions, resolved: ResolvedEtcdRegistryModuleOptions) => testingRegistry(options, resolved),
      inject: [ETCD_REGISTRY_TESTING_OPTIONS, ETCD_REGISTRY_RESOLVED_OPTIONS],
    },
    { provide: ETCD_REGISTRY, useExisting: InMemoryRegistry },
    ...registryFaceProviders,
  ],
  exports: [RegistryService, InMemoryRegistry, ETCD_REGISTRY],
})
export class EtcdRegistryTestingModule extends EtcdRegistryTestingConfigurableModule {
  /** Every option has a default: `forRoot()` works. */
  static forRoot(options: typeof TESTING_OPTIONS_TYPE = {}): DynamicModule {
    return super.forRoot(options);
  }
}
