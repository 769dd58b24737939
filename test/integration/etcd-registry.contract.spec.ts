import type { Lease } from 'etcd3';
import type { Registry } from '../../lib/core';
import { registryContract } from '../contract/registry.contract';
import { FaultProxy, startFaultProxy } from '../support/fault-proxy';
import { uniquePrefix, withEtcd } from '../support/registry-fixtures';
import { freshRead } from '../support/registry-probe';
import { waitFor } from '../support/wait-for';

/**
 * The contract against the etcd registry and a real etcd: other instances are leases of a separate
 * client (TTL 2 s, real time), and the registry under test reaches etcd through a proxy that can cut it.
 */
const TTL_SECONDS = 2;
const t = withEtcd('shared');
const proxies: FaultProxy[] = [];
const leases: Lease[] = [];

afterEach(async () => {
  await Promise.all(leases.splice(0).map((l) => l.revoke().catch(() => undefined)));
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});

registryContract('EtcdRegistry (real etcd)', () => {
  /** Each registry under test reaches etcd through a proxy of its own. */
  const links = new Map<Registry, FaultProxy>();
  const held = new Map<string, Lease>();
  const leaseOf = (path: string) => {
    const lease = held.get(path);
    if (!lease) throw new Error(`no other instance holds ${path}`);
    return lease;
  };
  return {
    ttlSeconds: TTL_SECONDS,
    registry: async (options = {}) => {
      const proxy = await startFaultProxy(t.etcd.endpoints);
      proxies.push(proxy);
      const registry = await t.pool.create(proxy.endpoints, { timeoutMs: 1000, ttlSeconds: TTL_SECONDS, ...options });
      links.set(registry, proxy);
      return registry;
    },
    kill: async (registry) => {
      // Its link cut for good: no keep-alive, no revoke; close() then only stops it inside this process.
      links.get(registry)!.cut();
      links.delete(registry);
      await registry.close();
    },
    // Time itself is what these tests let pass (a lease's TTL, a keep-alive period): real time here.
    passTime: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now: () => Date.now(),
    addInstance: async (path, value) => {
      const lease = t.client.lease(TTL_SECONDS);
      leases.push(lease);
      held.set(path, lease);
      await lease.put(path).value(value);
    },
    leave: async (path) => {
      await leaseOf(path).revoke();
      held.delete(path);
    },
    crash: async (path) => {
      leaseOf(path).release(); // keep-alives stop; etcd expires the lease after its TTL
      held.delete(path);
    },
    passTtl: async () => undefined, // real time: `eventually` waits for the expiry
    setUnavailable: async (unavailable) => {
      for (const proxy of links.values()) {
        if (unavailable) proxy.cut();
        else proxy.heal();
      }
    },
    read: (prefix) => freshRead(t.client, prefix),
    eventually: async (condition, message, timeoutMs = 15_000) => {
      await waitFor(condition, { timeoutMs, message });
    },
    prefix: () => uniquePrefix('contract'),
  };
});
