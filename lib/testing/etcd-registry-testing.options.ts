import { defaultRegistryLogger } from '../registry-logger';
import { ResolvedEtcdRegistryModuleOptions, splitEtcdRegistryModuleOptions } from '../etcd-registry.options';
import type { EtcdRegistryModuleOptions } from '../interfaces';
import type { InMemoryRegistry } from './in-memory-registry';
import { resolveInMemoryOptions } from './in-memory-options';

/** Options of EtcdRegistryTestingModule.forRoot and overrideEtcdRegistry: EtcdRegistryModule's, without `endpoints`. */
export interface EtcdRegistryTestingOptions extends Omit<EtcdRegistryModuleOptions, 'endpoints'> {
  /** Ignored: nothing is contacted. */
  endpoints?: string[];
  /** The registry to use; default a new InMemoryRegistry with these options. */
  registry?: InMemoryRegistry;
  /** Make RegistryService available everywhere (as EtcdRegistryModule's `isGlobal`). */
  isGlobal?: boolean;
}

/** Resolved once, as EtcdRegistryModule resolves its options, with the in-memory registry's resolver for the core part. */
export function resolveTestingOptions(options: EtcdRegistryTestingOptions = {}): ResolvedEtcdRegistryModuleOptions {
  const { registry, isGlobal, ...moduleOptions } = options ?? {};
  void registry;
  void isGlobal;
  const { core, ...nest } = splitEtcdRegistryModuleOptions(moduleOptions, undefined, defaultRegistryLogger());
  return { registry: resolveInMemoryOptions(core), ...nest };
}
