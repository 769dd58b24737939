import { withCluster } from '../support/cluster-spec';
import { expectConverged, freshRead, printFigures, recordFigure } from '../support/registry-probe';
import { recordWatch } from '../support/watch-recorder';
import { waitFor } from '../support/wait-for';

jest.setTimeout(120_000);

const SPEC = 'cluster-faults';

/**
 * Cluster faults on a 3-member cluster: leader killed, compaction while a
 * watcher is cut off, whole cluster restarted with its data, cluster wiped.
 */
describe('registry against a failing etcd cluster', () => {
  const t = withCluster(3);

  afterAll(() => printFigures(SPEC));

  it('1. leader killed: registrations keep their lease, watchers end exact; recovery measured', async () => {
    const p = '/f-leader/';
    const [a, b, w] = await Promise.all([t.registry(), t.registry(), t.registry()]);
    await a.register(`${p}a`, 'A');
    await b.register(`${p}b`, 'B');
    const rec = await recordWatch(w, p);
    await expectConverged(rec, t.checker, p);
    const leaseBefore = (await t.checker.get(`${p}a`).exec()).kvs[0].lease;

    const leader = await t.cluster.leader();
    const t0 = Date.now();
    await t.cluster.kill(leader);
    // A write through the registry succeeds again (the operation retries across the election).
    await a.register(`${p}a2`, 'A2');
    const writeRecovered = Date.now() - t0;
    await waitFor(() => rec.last?.[`${p}a2`] === 'A2', { timeoutMs: 15_000, message: 'watcher to see a write made after the leader kill' });
    const watchRecovered = Date.now() - t0;
    recordFigure(SPEC, 'leader kill: first registration ok after', writeRecovered);
    recordFigure(SPEC, 'leader kill: watcher sees new key after', watchRecovered);

    await expectConverged(rec, t.checker, p);
    expect(rec.missingSince(`${p}a`, t0)).toBe(0);
    expect(rec.missingSince(`${p}b`, t0)).toBe(0);
    const now = await freshRead(t.checker, p);
    expect(now).toEqual({ [`${p}a`]: 'A', [`${p}a2`]: 'A2', [`${p}b`]: 'B' });
    expect((await t.checker.get(`${p}a`).exec()).kvs[0].lease).toBe(leaseBefore);
    await t.cluster.restart(leader);
  });

  it('4. compaction while a watcher is cut off: after healing it delivers the exact map', async () => {
    const p = '/f-compact/';
    const proxy = await t.proxy();
    const owner = await t.registry();
    const watcher = await t.registry({ endpoints: proxy.endpoints });
    await owner.register(`${p}stays`, 'S');
    await owner.register(`${p}goes`, 'G');
    const rec = await recordWatch(watcher, p);
    await expectConverged(rec, t.checker, p);

    proxy.cut();
    await owner.unregister(`${p}goes`);
    await owner.register(`${p}new`, 'N');
    for (let i = 0; i < 20; i++) await t.checker.put(`${p}churn`).value(String(i));
    await t.checker.delete().key(`${p}churn`);
    await t.checker.put(`${p}raw`).value('R');
    const rev = (await t.checker.get(`${p}raw`).exec()).header.revision;
    await t.checker.kv.compact({ revision: rev, physical: true });
    const healedAt = Date.now();
    proxy.heal();

    const exact = await expectConverged(rec, t.checker, p, 20_000);
    recordFigure(SPEC, 'compaction under cut: exact map after heal', Date.now() - healedAt);
    expect(exact).toEqual({ [`${p}stays`]: 'S', [`${p}new`]: 'N', [`${p}raw`]: 'R' });
    // The watch is live again: a later change arrives.
    await owner.register(`${p}later`, 'L');
    await waitFor(() => rec.last?.[`${p}later`] === 'L', { timeoutMs: 10_000, message: 'a change after the resync' });
  });

  it('5. whole cluster restarted with its data: everything resumes without restarting the app', async () => {
    const p = '/f-restart/';
    const [a, w] = await Promise.all([t.registry(), t.registry()]);
    await a.register(`${p}a`, 'A');
    await a.register(`${p}b`, 'B');
    const rec = await recordWatch(w, p);
    await expectConverged(rec, t.checker, p);

    const t0 = Date.now();
    await t.cluster.restartAll();
    const clusterBack = Date.now() - t0;
    await a.register(`${p}c`, 'C');
    await waitFor(() => rec.last?.[`${p}c`] === 'C', { timeoutMs: 15_000, message: 'watcher to see a write after the restart' });
    recordFigure(SPEC, 'cluster restart: etcd healthy after', clusterBack);
    recordFigure(SPEC, 'cluster restart: app sees new key after', Date.now() - t0);
    const exact = await expectConverged(rec, t.checker, p);
    expect(exact).toEqual({ [`${p}a`]: 'A', [`${p}b`]: 'B', [`${p}c`]: 'C' });
    // The registrations are still kept alive: after more than a TTL they are still there.
    const lease = (await t.checker.get(`${p}a`).exec()).kvs[0].lease;
    const ttl = await t.checker.leaseClient.leaseTimeToLive({ ID: lease });
    expect(Number(ttl.TTL)).toBeGreaterThan(0);
  });

  it('6. cluster wiped: every key re-registered, watchers exact', async () => {
    const p = '/f-wipe/';
    const [a, b, w] = await Promise.all([t.registry(), t.registry(), t.registry()]);
    await a.register(`${p}a1`, 'A1');
    await a.register(`${p}a2`, 'A2');
    await b.register(`${p}b1`, 'B1');
    const recW = await recordWatch(w, p);
    const recA = await recordWatch(a, p);
    await expectConverged(recW, t.checker, p);

    await t.cluster.wipeAndRestart();
    const t0 = Date.now();
    const expected = { [`${p}a1`]: 'A1', [`${p}a2`]: 'A2', [`${p}b1`]: 'B1' };
    await waitFor(async () => JSON.stringify(await freshRead(t.checker, p)) === JSON.stringify(expected), {
      timeoutMs: 20_000,
      message: 'every key back in the wiped cluster',
    });
    recordFigure(SPEC, 'wipe: all keys re-registered after', Date.now() - t0);
    expect(await expectConverged(recW, t.checker, p, 20_000)).toEqual(expected);
    expect(await expectConverged(recA, t.checker, p, 20_000)).toEqual(expected);
    recordFigure(SPEC, 'wipe: watchers exact after', Date.now() - t0);
    // Still live: a new registration reaches the watchers.
    await b.register(`${p}b2`, 'B2');
    await waitFor(() => recW.last?.[`${p}b2`] === 'B2', { timeoutMs: 10_000, message: 'a write after the wipe' });
    // The ownership guards watch the new cluster (not the old, higher revisions): a delete from outside is undone.
    await t.checker.delete().key(`${p}a1`);
    const t1 = Date.now();
    await waitFor(async () => (await freshRead(t.checker, p))[`${p}a1`] === 'A1', {
      timeoutMs: 10_000,
      message: 'a key deleted after the wipe put back',
    });
    recordFigure(SPEC, 'wipe: key deleted from outside back after', Date.now() - t1);
    expect(w.status().watches.map((s) => s.live)).toEqual([true]);
  });
});
