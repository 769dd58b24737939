import { InMemoryRegistry } from '../../lib/testing';
import { registryContract } from '../contract/registry.contract';

/** The contract against InMemoryRegistry: no etcd, the TTL on the registry's test clock. */
const TTL_SECONDS = 2;
let n = 0;
const open: InMemoryRegistry[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.close()));
});

/** Resolves when `condition` holds, checked after each turn of the event loop. */
async function holds(condition: () => unknown): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

registryContract('InMemoryRegistry', () => {
  const registry = new InMemoryRegistry({ ttlSeconds: TTL_SECONDS });
  open.push(registry);
  return {
    registry: async () => registry,
    addInstance: (path, value) => registry.addInstance(path, value),
    leave: (path) => registry.leave(path),
    crash: (path) => registry.crash(path),
    passTtl: () => registry.advanceTime(TTL_SECONDS * 1000),
    setUnavailable: (unavailable) => registry.setUnavailable(unavailable),
    read: async (prefix) => ({ ...registry.read(prefix) }),
    // Holds once every delivery is done, or earlier (a handler may be held on purpose): never a timed wait.
    eventually: async (condition, message) => {
      await Promise.race([registry.settled(), holds(condition)]);
      if (!condition()) throw new Error(`Once every delivery was done, still waiting for ${message}`);
    },
    prefix: () => `/contract-${++n}/`,
  };
});
