import type { TestingModuleBuilder } from '@nestjs/testing';
import { ETCD_CLIENT, ETCD_REGISTRY, ETCD_REGISTRY_RESOLVED_OPTIONS } from '../options/etcd-registry.constants';
import { ETCD_REGISTRY_MODULE_OPTIONS } from '../options/etcd-registry.module-definition';
import { EtcdRegistryTestingOptions, resolveTestingOptions, testingRegistry } from './etcd-registry-testing.options';

/**
 * Swaps an InMemoryRegistry into an application's EtcdRegistryModule (e.g. the AppModule of an e2e
 * test): the module's options factory (ConfigService, environment) never runs, no etcd client is
 * created (ETCD_CLIENT is null), and RegistryService and @WatchServices handlers work on the in-memory registry. `options`
 * replace the application's registry options (`service`, `autoRegister`, `ttlSeconds`...); pass
 * `registry` to keep a handle on it.
 *
 * ```ts
 * const registry = new InMemoryRegistry();
 * const moduleRef = await overrideEtcdRegistry(Test.createTestingModule({ imports: [AppModule] }), { registry }).compile();
 * ```
 */
export function overrideEtcdRegistry(builder: TestingModuleBuilder, options: EtcdRegistryTestingOptions = {}): TestingModuleBuilder {
  const resolved = resolveTestingOptions(options);
  const registry = testingRegistry(options, resolved);
  return builder
    .overrideProvider(ETCD_REGISTRY_MODULE_OPTIONS)
    .useValue({})
    .overrideProvider(ETCD_REGISTRY_RESOLVED_OPTIONS)
    .useValue(resolved)
    .overrideProvider(ETCD_CLIENT)
    .useValue(null)
    .overrideProvider(ETCD_REGISTRY)
    .useValue(registry);
}
