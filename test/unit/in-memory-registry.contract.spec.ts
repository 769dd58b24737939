import { setImmediate as realSetImmediate } from 'timers';
import { InMemoryEtcd, InMemoryRegistry } from '../../lib/testing';
import { registryContract } from '../contract/registry.contract';

/** The contract against InMemoryRegistry: no etcd; every registry of a test on one InMemoryEtcd, TTLs on the kit's clock. */
const TTL_SECONDS = 2;
let n = 0;
const open: InMemoryRegistry[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.close()));
});

/** Whether `condition` holds now (an async one awaited; a throw or a rejection is "no"). */
async function check(condition: () => unknown): Promise<boolean> {
  try {
    return Boolean(await condition());
  } catch {
    return false;
  }
}

registryContract('InMemoryRegistry', () => {
  const etcd = new InMemoryEtcd({ ttlSeconds: TTL_SECONDS });
  return {
    ttlSeconds: TTL_SECONDS,
    registry: async (options = {}) => {
      const registry = new InMemoryRegistry({ ttlSeconds: TTL_SECONDS, ...options, etcd });
      open.push(registry);
      return registry;
    },
    kill: (registry) => (registry as InMemoryRegistry).kill(),
    passTime: (ms) => etcd.advanceTime(ms),
    now: () => etcd.now(),
    addInstance: (path, value) => etcd.addInstance(path, value),
    leave: (path) => etcd.leave(path),
    crash: (path) => etcd.crash(path),
    passTtl: () => etcd.advanceTime(TTL_SECONDS * 1000),
    setUnavailable: (unavailable) => etcd.setUnavailable(unavailable),
    read: async (prefix) => ({ ...etcd.read(prefix) }),
    // Holds once every delivery is done, or earlier (a handler may be held on purpose): never a timed wait.
    eventually: async (condition, message) => {
      let done = false;
      const holds = async () => {
        while (!done && !(await check(condition))) await new Promise((resolve) => realSetImmediate(resolve));
      };
      await Promise.race([etcd.settled(), holds()]);
      done = true;
      if (!(await check(condition))) throw new Error(`Once every delivery was done, still waiting for ${message}`);
    },
    prefix: () => `/contract-${++n}/`,
  };
});
