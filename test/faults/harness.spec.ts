import { Etcd3 } from 'etcd3';
import { enableEtcdAuth, etcdctl } from '../support/etcd-auth';
import { EtcdCluster, startEtcdCluster } from '../support/etcd-cluster';
import { startEtcd } from '../support/etcd-launcher';
import { startFaultProxy } from '../support/fault-proxy';
import { generateTlsMaterial, startTlsEtcd } from '../support/tls-certs';
import { waitFor } from '../support/wait-for';

jest.setTimeout(90_000);

function client(endpoints: string[]): Etcd3 {
  return new Etcd3({ hosts: endpoints.map((e) => `http://${e}`) });
}

/** A put that gives up after `ms` (etcd3 calls hang while a link is down). */
function putWithin(c: Etcd3, key: string, value: string, ms: number): Promise<'ok' | 'failed'> {
  return Promise.race([
    c
      .put(key)
      .value(value)
      .options({ deadline: new Date(Date.now() + ms) })
      .exec()
      .then(
        () => 'ok' as const,
        () => 'failed' as const,
      ),
    new Promise<'failed'>((r) => setTimeout(() => r('failed'), ms + 200)),
  ]);
}

describe('fault harness', () => {
  let cluster: EtcdCluster;
  const clients: Etcd3[] = [];

  beforeAll(async () => {
    cluster = await startEtcdCluster(3);
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await cluster?.destroy();
  });

  it('finds the leader, survives its kill, and restarts it with its data', async () => {
    const c = client(cluster.endpoints);
    clients.push(c);
    await c.put('/harness/a').value('1');
    const leader = await cluster.leader();
    await cluster.kill(leader);
    const next = await cluster.leader();
    expect(next).not.toBe(leader);
    await waitFor(async () => (await putWithin(c, '/harness/b', '2', 2000)) === 'ok', {
      timeoutMs: 20_000,
      message: 'a put after the leader kill',
    });
    await cluster.restart(leader);
    const statuses = await cluster.statuses();
    expect(statuses.every((s) => s !== undefined)).toBe(true);
    // The restarted member kept its data (same revision domain) and serves reads.
    const only = client([cluster.endpoints[leader]]);
    clients.push(only);
    await waitFor(async () => (await only.get('/harness/b').string()) === '2', {
      timeoutMs: 15_000,
      message: 'restarted member to catch up',
    });
  });

  it('a cut proxy stops one client only; heal restores it', async () => {
    const proxy = await startFaultProxy(cluster.endpoints);
    const viaProxy = client(proxy.endpoints);
    const direct = client(cluster.endpoints);
    clients.push(viaProxy, direct);
    expect(await putWithin(viaProxy, '/harness/p', '1', 5000)).toBe('ok');
    proxy.cut();
    expect(proxy.liveConnections).toBe(0);
    expect(await putWithin(viaProxy, '/harness/p', '2', 1500)).toBe('failed');
    expect(await putWithin(direct, '/harness/d', '1', 5000)).toBe('ok');
    proxy.heal();
    await waitFor(async () => (await putWithin(viaProxy, '/harness/p', '3', 2000)) === 'ok', {
      timeoutMs: 30_000,
      message: 'the proxied client after heal',
    });
    expect(await direct.get('/harness/p').string()).toBe('3');
    proxy.delay(300);
    const t0 = Date.now();
    expect(await putWithin(viaProxy, '/harness/p', '4', 5000)).toBe('ok');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(550); // request and response each held 300 ms
    await proxy.close();
  });

  it('wipeAndRestart gives an empty cluster with a new cluster id on the same endpoints', async () => {
    const before = (await cluster.statuses()).find(Boolean)!;
    await cluster.wipeAndRestart();
    const after = await waitFor(async () => (await cluster.statuses()).find(Boolean));
    if (!after) throw new Error('no status');
    expect(after.clusterId).not.toBe(before.clusterId);
    const c = client(cluster.endpoints);
    clients.push(c);
    expect(await c.get('/harness/b').string()).toBeNull();
  });
});

describe('tls and auth material', () => {
  it('etcd accepts the generated client certificate under mutual TLS and refuses the other CA', async () => {
    const tls = generateTlsMaterial();
    const etcd = await startTlsEtcd(tls, true).catch((e) => {
      tls.cleanup();
      throw e;
    });
    try {
      const ok = { endpoints: etcd.endpoints, tls: { caFile: tls.files.ca, certFile: tls.files.clientCert, keyFile: tls.files.clientKey } };
      await waitFor(() => etcdctl(ok, ['put', '/tls/a', '1']).then(() => true), { timeoutMs: 15_000, message: 'etcdctl over mutual TLS' });
      expect(await etcdctl(ok, ['get', '/tls/a', '--print-value-only'])).toBe('1\n');
      await expect(
        etcdctl({ endpoints: etcd.endpoints, tls: { caFile: tls.files.otherCa } }, [
          'get',
          '/tls/a',
          '--dial-timeout=1s',
          '--command-timeout=2s',
        ]),
      ).rejects.toThrow();
    } finally {
      await etcd.stop();
      tls.cleanup();
    }
  });

  it('enables auth and limits a user to its prefix', async () => {
    const etcd = await startEtcd();
    try {
      const auth = await enableEtcdAuth({ endpoints: etcd.endpoints, rootPassword: 'rootpw' });
      await auth.addUserWithPrefixes('svc', 'svcpw', ['/allowed/']);
      const user = { endpoints: etcd.endpoints, user: 'svc:svcpw' };
      await etcdctl(user, ['put', '/allowed/x', '1']);
      await expect(etcdctl(user, ['put', '/other/x', '1'])).rejects.toThrow(/permission denied/);
      await expect(etcdctl({ endpoints: etcd.endpoints, user: 'svc:wrong' }, ['get', '/allowed/x'])).rejects.toThrow(
        /authentication failed/,
      );
    } finally {
      await etcd.stop();
    }
  });
});
