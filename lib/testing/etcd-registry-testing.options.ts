import { defaultRegistryLogger } from '../options/registry-logger';
import { ResolvedEtcdRegistryModuleOptions, splitEtcdRegistryModuleOptions } from '../options/etcd-registry.options';
import type { EtcdRegistryModuleOptions } from '../options/interfaces';
import type { InMemoryEtcd } from './in-memory-etcd';
import { InMemoryRegistry } from './in-memory-registry';
import { resolveInMemoryOptions } from './in-memory-options';

/** Options of EtcdRegistryTestingModule.forRoot and overrideEtcdRegistry: EtcdRegistryModule's, without `endpoints`. */
export interface EtcdRegistryTestingOptions extends Omit<EtcdRegistryModuleOptions, 'endpoints'> {
  /** Ignored: nothing is contacted. */
  endpoints?: string[] | undefined;
  /** The registry to use; default a new InMemoryRegistry with these options (on `etcd`). */
  registry?: InMemoryRegistry | undefined;
  /**
   * The in-memory etcd of the new registry: pass one InMemoryEtcd to several applications of one
   * test, each then has its own registry and lease (conflicts, one's close or crash seen by the others).
   */
  etcd?: InMemoryEtcd | undefined;
  /** Make RegistryService available everywhere (as EtcdRegistryModule's `isGlobal`). */
  isGlobal?: boolean | undefined;
}

/**
 * The registry of a testing module: `options.registry`, or a new one on `options.etcd`. The drain
 * (drainMs) passes on the kit's clock: app.close() never waits on a timer (fake timers or not).
 */
export function testingRegistry(options: EtcdRegistryTestingOptions, resolved: ResolvedEtcdRegistryModuleOptions): InMemoryRegistry {
  const registry = options?.registry ?? new InMemoryRegistry(resolved.registry, options?.etcd);
  resolved.drainWait = (ms) => registry.advanceTime(ms);
  return registry;
}

/** Resolved once, as EtcdRegistryModule resolves its options, with the in-memory registry's resolver for the core part. */
export function resolveTestingOptions(options: EtcdRegistryTestingOptions = {}): ResolvedEtcdRegistryModuleOptions {
  const { registry, isGlobal, etcd, ...moduleOptions } = options ?? {};
  void registry;
  void isGlobal;
  void etcd;
  const { core, ...nest } = splitEtcdRegistryModuleOptions(moduleOptions, undefined, defaultRegistryLogger());
  return { registry: resolveInMemoryOptions(core), ...nest };
}
