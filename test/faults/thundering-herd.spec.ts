import { Etcd3 } from 'etcd3';
import { createEtcdClient, createRegistry, Registry, resolveRegistryOptions } from '../../lib/core';
import { startEtcd } from '../support/etcd-launcher';
import { freshRead, printFigures, rawClient, recordFigure } from '../support/registry-probe';
import { waitFor } from '../support/wait-for';

jest.setTimeout(120_000);

const SPEC = 'thundering-herd';
const N = 200;

/**
 * Scenario 9 of issue 4: 200 registries lose their leases at once (every lease revoked from
 * outside); their re-registrations must spread over the backoff window, not arrive in one burst.
 * The registries share one etcd client (as registries in one process would), so what is measured
 * is the registries' own backoff, not client start-up.
 */
describe('thundering herd: 200 registries lose their leases at once', () => {
  let etcd: Awaited<ReturnType<typeof startEtcd>>;
  let shared: Etcd3;
  let checker: Etcd3;
  const registries: Registry[] = [];

  beforeAll(async () => {
    etcd = await startEtcd();
    shared = createEtcdClient(resolveRegistryOptions({ endpoints: etcd.endpoints }));
    checker = rawClient(etcd.endpoints);
  });

  afterAll(async () => {
    await Promise.all(registries.map((r) => r.close()));
    shared?.close();
    checker?.close();
    await etcd?.stop();
    printFigures(SPEC);
  });

  it('re-registrations are spread over the backoff window', async () => {
    const p = '/f-herd/';
    for (let i = 0; i < N; i++) registries.push(await createRegistry({ endpoints: etcd.endpoints, ttlSeconds: 5, timeoutMs: 10_000 }, shared));
    await Promise.all(registries.map((r, i) => r.register(`${p}${String(i).padStart(3, '0')}`, `v${i}`)));
    expect(Object.keys(await freshRead(checker, p))).toHaveLength(N);

    // When each registry asks etcd for a new lease (what a herd would put on etcd at once): every
    // RPC of the shared client goes through its connection pool.
    const grants: number[] = [];
    const pool = (shared as unknown as { pool: { exec: (...a: unknown[]) => Promise<unknown> } }).pool;
    const exec = pool.exec.bind(pool);
    pool.exec = (...a: unknown[]) => {
      if (t0 && a[0] === 'Lease' && a[1] === 'leaseGrant') grants.push(Date.now() - t0);
      return exec(...a);
    };
    // Arrival time of each key's re-put, seen by an independent watch.
    const arrivals = new Map<string, number>();
    const watcher = await checker.watch().prefix(p).create();
    let t0 = 0;
    watcher.on('put', (kv) => {
      if (t0 && !arrivals.has(kv.key.toString())) arrivals.set(kv.key.toString(), Date.now() - t0);
    });

    const { leases } = await checker.leaseClient.leaseLeases();
    expect(leases.length).toBeGreaterThanOrEqual(N);
    t0 = Date.now();
    await Promise.all(leases.map((l) => checker.leaseClient.leaseRevoke({ ID: l.ID })));
    const revokedIn = Date.now() - t0;

    await waitFor(() => arrivals.size === N, { timeoutMs: 30_000, message: `all ${N} keys re-registered (got ${arrivals.size})` });
    await watcher.cancel();
    expect(Object.keys(await freshRead(checker, p))).toHaveLength(N);

    pool.exec = exec;
    const stats = (values: number[]) => {
      const sorted = [...values].sort((a, b) => a - b);
      const pct = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
      const buckets = new Map<number, number>();
      for (const t of sorted) buckets.set(Math.floor(t / 100), (buckets.get(Math.floor(t / 100)) ?? 0) + 1);
      if (process.env.FAULTS_VERBOSE) process.stdout.write(`histogram (100 ms slots): ${JSON.stringify([...buckets.entries()].sort((a, b) => a[0] - b[0]))}\n`);
      return { first: sorted[0], p10: pct(0.1), p50: pct(0.5), p90: pct(0.9), last: sorted[sorted.length - 1], busiest: Math.max(...buckets.values()) };
    };
    const sent = stats(grants);
    const seen = stats([...arrivals.values()]);
    recordFigure(SPEC, `revoke of ${leases.length} leases took`, revokedIn);
    recordFigure(SPEC, 'lease re-grants sent: first', sent.first);
    recordFigure(SPEC, 'lease re-grants sent: p10', sent.p10);
    recordFigure(SPEC, 'lease re-grants sent: p50', sent.p50);
    recordFigure(SPEC, 'lease re-grants sent: p90', sent.p90);
    recordFigure(SPEC, 'lease re-grants sent: last', sent.last);
    recordFigure(SPEC, 'lease re-grants sent: busiest 100 ms', sent.busiest, 'grants');
    recordFigure(SPEC, 'keys back in etcd: p50', seen.p50);
    recordFigure(SPEC, 'keys back in etcd: last', seen.last);

    // Each registry waits a random time in the backoff window before re-registering: no burst
    // right after the loss, the middle 80% of the grants spread over at least 400 ms, and no
    // 100 ms slot with more than a third of them (one burst would put all 200 in one slot). (Commit times seen by a watch are not used for
    // this: etcd batches commits, so they clump whatever the clients do.)
    expect(grants.length).toBeGreaterThanOrEqual(N);
    expect(sent.first).toBeGreaterThanOrEqual(50);
    expect(sent.p90 - sent.p10).toBeGreaterThanOrEqual(400);
    expect(sent.busiest).toBeLessThanOrEqual(N / 3);
    // ... and all are back promptly: the window is capped.
    expect(seen.last).toBeLessThan(10_000);
  });
});
