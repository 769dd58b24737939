import { resolveRegistryOptions, ResolvedRegistryOptions } from '../core/options';
import type { RegistryOptions } from '../core/registry.interface';
import type { InMemoryEtcd } from './in-memory-etcd';

/** What errors of an in-memory registry name where the etcd one names the endpoints. */
export const IN_MEMORY_ENDPOINT = 'in-memory';

/**
 * Options of an InMemoryRegistry: the core's options without `endpoints` (ignored if given). `ttlSeconds`
 * is the TTL of other instances' leases (crash), `timeoutMs` is named in RegistryUnavailableError
 * messages, `logger` gets the handler errors; the connection options (auth, TLS) are checked and ignored.
 */
export type InMemoryRegistryOptions = Omit<RegistryOptions, 'endpoints'> & {
  endpoints?: string[] | undefined;
  /** The in-memory etcd to sit on, shared with other registries (several applications in one test); default a new one. */
  etcd?: InMemoryEtcd | undefined;
};

/** Options this module resolved: handed back as they are, never resolved twice. */
const resolvedOnce = new WeakSet<object>();

/**
 * The core's resolution (same defaults, same RegistryOptionsError for a bad option), with the
 * endpoints replaced by a label: an in-memory registry has no etcd to reach.
 */
export function resolveInMemoryOptions(options: InMemoryRegistryOptions = {}): ResolvedRegistryOptions {
  if (resolvedOnce.has(options)) return options as ResolvedRegistryOptions;
  if (typeof options !== 'object' || options === null) return resolveRegistryOptions(options); // throws, naming "options"
  const { etcd, ...core } = options;
  void etcd;
  const resolved = resolveRegistryOptions({ ...core, endpoints: ['127.0.0.1:1'] });
  const inMemory = { ...resolved, endpoints: [IN_MEMORY_ENDPOINT], hosts: [] };
  resolvedOnce.add(inMemory);
  return inMemory;
}
