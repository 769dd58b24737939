import { Etcd3 } from 'etcd3';
import { createRegistry, Registry, RegistryOptions } from '../../lib/core';
import { EtcdCluster, startEtcdCluster } from './etcd-cluster';
import { FaultProxy, startFaultProxy } from './fault-proxy';
import { rawClient } from './registry-probe';

export interface ClusterSpec {
  cluster: EtcdCluster;
  /** A client straight to the cluster, for reading etcd behind the registries' backs. */
  checker: Etcd3;
  /** A registry on the cluster (ttlSeconds as given, timeoutMs 5000), closed after the test. */
  registry(extra?: Partial<RegistryOptions>): Promise<Registry>;
  /** A fault proxy in front of every member, closed after the test. */
  proxy(): Promise<FaultProxy>;
}

/** Jest hooks for a fault spec: one 3-member cluster for the file; registries and proxies per test. */
export function withCluster(ttlSeconds: number): ClusterSpec {
  const registries: Registry[] = [];
  const proxies: FaultProxy[] = [];
  const t = {
    async registry(extra: Partial<RegistryOptions> = {}) {
      const r = createRegistry({ endpoints: t.cluster.endpoints, ttlSeconds, timeoutMs: 5000, ...extra });
      registries.push(r);
      return r;
    },
    async proxy() {
      const p = await startFaultProxy(t.cluster.endpoints);
      proxies.push(p);
      return p;
    },
  } as unknown as ClusterSpec;
  beforeAll(async () => {
    t.cluster = await startEtcdCluster(3);
    t.checker = rawClient(t.cluster.endpoints);
  });
  afterEach(async () => {
    await Promise.all(registries.splice(0).map((r) => r.close()));
    await Promise.all(proxies.splice(0).map((p) => p.close()));
  });
  afterAll(async () => {
    t.checker?.close();
    await t.cluster?.destroy();
  });
  return t;
}
