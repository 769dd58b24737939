import { Etcd3 } from 'etcd3';
import { createRegistry, Registry, RegistryOptions } from '../../lib/core';
import { EtcdCluster, startEtcdCluster } from '../support/etcd-cluster';
import { FaultProxy, startFaultProxy } from '../support/fault-proxy';
import { expectConverged, freshRead, printFigures, rawClient, recordFigure, recordWatch } from '../support/registry-probe';
import { waitFor } from '../support/wait-for';

jest.setTimeout(120_000);

const SPEC = 'cluster-faults';

/**
 * Scenarios 1, 4, 5 and 6 of issue 4 on a 3-member cluster: leader killed, compaction while a
 * watcher is cut off, whole cluster restarted with its data, cluster wiped.
 */
describe('registry against a failing etcd cluster', () => {
  let cluster: EtcdCluster;
  let checker: Etcd3;
  const registries: Registry[] = [];
  const proxies: FaultProxy[] = [];

  async function registry(extra: Partial<RegistryOptions> = {}): Promise<Registry> {
    const r = await createRegistry({ endpoints: cluster.endpoints, ttlSeconds: 3, timeoutMs: 5000, ...extra });
    registries.push(r);
    return r;
  }

  beforeAll(async () => {
    cluster = await startEtcdCluster(3);
    checker = rawClient(cluster.endpoints);
  });

  afterEach(async () => {
    await Promise.all(registries.splice(0).map((r) => r.close()));
    await Promise.all(proxies.splice(0).map((p) => p.close()));
  });

  afterAll(async () => {
    checker?.close();
    await cluster?.destroy();
    printFigures(SPEC);
  });

  it('1. leader killed: registrations keep their lease, watchers end exact; recovery measured', async () => {
    const p = '/f-leader/';
    const [a, b, w] = await Promise.all([registry(), registry(), registry()]);
    await a.register(`${p}a`, 'A');
    await b.register(`${p}b`, 'B');
    const rec = await recordWatch(w, p);
    await expectConverged(rec, checker, p);
    const leaseBefore = (await checker.get(`${p}a`).exec()).kvs[0].lease;

    const leader = await cluster.leader();
    const t0 = Date.now();
    await cluster.kill(leader);
    // A write through the registry succeeds again (the operation retries across the election).
    await a.register(`${p}a2`, 'A2');
    const writeRecovered = Date.now() - t0;
    await waitFor(() => rec.last?.[`${p}a2`] === 'A2', { timeoutMs: 15_000, message: 'watcher to see a write made after the leader kill' });
    const watchRecovered = Date.now() - t0;
    recordFigure(SPEC, 'leader kill: first registration ok after', writeRecovered);
    recordFigure(SPEC, 'leader kill: watcher sees new key after', watchRecovered);

    await expectConverged(rec, checker, p);
    expect(rec.missingSince(`${p}a`, t0)).toBe(0);
    expect(rec.missingSince(`${p}b`, t0)).toBe(0);
    const now = await freshRead(checker, p);
    expect(now).toEqual({ [`${p}a`]: 'A', [`${p}a2`]: 'A2', [`${p}b`]: 'B' });
    expect((await checker.get(`${p}a`).exec()).kvs[0].lease).toBe(leaseBefore);
    await cluster.restart(leader);
  });

  it('4. compaction while a watcher is cut off: after healing it delivers the exact map', async () => {
    const p = '/f-compact/';
    const proxy = await startFaultProxy(cluster.endpoints);
    proxies.push(proxy);
    const owner = await registry();
    const watcher = await registry({ endpoints: proxy.endpoints });
    await owner.register(`${p}stays`, 'S');
    await owner.register(`${p}goes`, 'G');
    const rec = await recordWatch(watcher, p);
    await expectConverged(rec, checker, p);

    proxy.cut();
    await owner.unregister(`${p}goes`);
    await owner.register(`${p}new`, 'N');
    for (let i = 0; i < 20; i++) await checker.put(`${p}churn`).value(String(i));
    await checker.delete().key(`${p}churn`);
    await checker.put(`${p}raw`).value('R');
    const rev = (await checker.get(`${p}raw`).exec()).header.revision;
    await checker.kv.compact({ revision: rev, physical: true });
    const healedAt = Date.now();
    proxy.heal();

    const exact = await expectConverged(rec, checker, p, 20_000);
    recordFigure(SPEC, 'compaction under cut: exact map after heal', Date.now() - healedAt);
    expect(exact).toEqual({ [`${p}stays`]: 'S', [`${p}new`]: 'N', [`${p}raw`]: 'R' });
    // The watch is live again: a later change arrives.
    await owner.register(`${p}later`, 'L');
    await waitFor(() => rec.last?.[`${p}later`] === 'L', { timeoutMs: 10_000, message: 'a change after the resync' });
  });

  it('5. whole cluster restarted with its data: everything resumes without restarting the app', async () => {
    const p = '/f-restart/';
    const [a, w] = await Promise.all([registry(), registry()]);
    await a.register(`${p}a`, 'A');
    await a.register(`${p}b`, 'B');
    const rec = await recordWatch(w, p);
    await expectConverged(rec, checker, p);

    const t0 = Date.now();
    await cluster.restartAll();
    const clusterBack = Date.now() - t0;
    await a.register(`${p}c`, 'C');
    await waitFor(() => rec.last?.[`${p}c`] === 'C', { timeoutMs: 15_000, message: 'watcher to see a write after the restart' });
    recordFigure(SPEC, 'cluster restart: etcd healthy after', clusterBack);
    recordFigure(SPEC, 'cluster restart: app sees new key after', Date.now() - t0);
    const exact = await expectConverged(rec, checker, p);
    expect(exact).toEqual({ [`${p}a`]: 'A', [`${p}b`]: 'B', [`${p}c`]: 'C' });
    // The registrations are still kept alive: after more than a TTL they are still there.
    const lease = (await checker.get(`${p}a`).exec()).kvs[0].lease;
    const ttl = await checker.leaseClient.leaseTimeToLive({ ID: lease });
    expect(Number(ttl.TTL)).toBeGreaterThan(0);
  });

  it('6. cluster wiped: every key re-registered, watchers exact', async () => {
    const p = '/f-wipe/';
    const [a, b, w] = await Promise.all([registry(), registry(), registry()]);
    await a.register(`${p}a1`, 'A1');
    await a.register(`${p}a2`, 'A2');
    await b.register(`${p}b1`, 'B1');
    const recW = await recordWatch(w, p);
    const recA = await recordWatch(a, p);
    await expectConverged(recW, checker, p);

    await cluster.wipeAndRestart();
    const t0 = Date.now();
    const expected = { [`${p}a1`]: 'A1', [`${p}a2`]: 'A2', [`${p}b1`]: 'B1' };
    await waitFor(async () => JSON.stringify(await freshRead(checker, p)) === JSON.stringify(expected), {
      timeoutMs: 20_000,
      message: 'every key back in the wiped cluster',
    });
    recordFigure(SPEC, 'wipe: all keys re-registered after', Date.now() - t0);
    expect(await expectConverged(recW, checker, p, 20_000)).toEqual(expected);
    expect(await expectConverged(recA, checker, p, 20_000)).toEqual(expected);
    recordFigure(SPEC, 'wipe: watchers exact after', Date.now() - t0);
    // Still live: a new registration reaches the watchers.
    await b.register(`${p}b2`, 'B2');
    await waitFor(() => recW.last?.[`${p}b2`] === 'B2', { timeoutMs: 10_000, message: 'a write after the wipe' });
  });
});
