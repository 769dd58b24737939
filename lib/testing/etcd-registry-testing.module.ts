import { DynamicModule, Module, Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ETCD_REGISTRY, ETCD_REGISTRY_RESOLVED_OPTIONS } from '../options/etcd-registry.constants';
import type { ResolvedEtcdRegistryModuleOptions } from '../options/etcd-registry.options';
import { registryFaceProviders } from '../module/etcd-registry.providers';
import { RegistryService } from '../service/registry.service';
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
 */
@Module({})
export class EtcdRegistryTestingModule {
  static forRoot(options: EtcdRegistryTestingOptions = {}): DynamicModule {
    return {
      module: EtcdRegistryTestingModule,
      global: options?.isGlobal ?? false,
      imports: [DiscoveryModule],
      providers: [
        ...testingRegistryProviders(options),
        { provide: ETCD_REGISTRY, useExisting: InMemoryRegistry },
        ...registryFaceProviders,
      ],
      exports: [RegistryService, InMemoryRegistry, ETCD_REGISTRY],
    };
  }
}

/** The resolved options (a bad option fails the module's compilation, naming it) and the InMemoryRegistry. */
function testingRegistryProviders(options: EtcdRegistryTestingOptions): Provider[] {
  return [
    { provide: ETCD_REGISTRY_RESOLVED_OPTIONS, useFactory: () => resolveTestingOptions(options) },
    {
      provide: InMemoryRegistry,
      useFactory: (resolved: ResolvedEtcdRegistryModuleOptions) => testingRegistry(options, resolved),
      inject: [ETCD_REGISTRY_RESOLVED_OPTIONS],
    },
  ];
}
