import { Etcd3 } from 'etcd3';
import { createEtcdClient, createRegistry, Registry, resolveRegistryOptions } from '../../lib/core';
import { startEtcd } from '../support/etcd-launcher';
import { freshRead, printFigures, rawClient, recordFigure } from '../support/registry-probe';
import { waitFor } from '../support/wait-for';

jest.setTimeout(120_000);

const SPEC = 'thundering-herd';
const N = 200;

/**
 * Thundering herd: 200 registries lose their leases at once (every lease revoked from
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
    for (let i = 0; i < N; i++) registries.push(createRegistry({ endpoints: etcd.endpoints, ttlSeconds: 5, timeoutMs: 10_000 }, shared));
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
      if (process.env.FAULTS_VERBOSE)
        process.stdout.write(`histogram (100 ms slots): ${JSON.stringify([...buckets.entries()].sort((a, b) => a[0] - b[0]))}\n`);
      return {
        first: sorted[0],
        p10: pct(0.1),
        p50: pct(0.5),
        p90: pct(0.9),
        last: sorted[sorted.length - 1],
        busiest: Math.max(...buckets.values()),
      };
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

    // Here the registries notice the revoke at different moments (their keep-alives and key
    // watches report it over about a second), so the spread measured above comes mostly from that,
    // not from the backoff: it is reported, and the lockstep case is asserted in the outage test
    // below (which fails without jitter). Asserted here: every key back, promptly.
    expect(grants.length).toBeGreaterThanOrEqual(N);
    // ... and all are back promptly: the window is capped.
    expect(seen.last).toBeLessThan(10_000);
  });

  it('after an outage, the 200 registries come back spread over the backoff window, not in lockstep', async () => {
    // All registries notice the outage at the same moment (their shared client's streams drop), so
    // without jitter they would retry in lockstep and hit the new etcd in one burst.
    // Its own etcd and shared client: nothing left over from the test above.
    const etcd = await startEtcd();
    const shared = createEtcdClient(resolveRegistryOptions({ endpoints: etcd.endpoints }));
    const p = '/f-herd2/';
    const herd: Registry[] = [];
    try {
      for (let i = 0; i < N; i++) herd.push(createRegistry({ endpoints: etcd.endpoints, ttlSeconds: 5, timeoutMs: 10_000 }, shared));
      await Promise.all(herd.map((r, i) => r.register(`${p}${String(i).padStart(3, '0')}`, `v${i}`)));

      const calls: number[] = [];
      let tBack = 0;
      const pool = (shared as unknown as { pool: { exec: (...a: unknown[]) => Promise<unknown> } }).pool;
      const exec = pool.exec.bind(pool);
      pool.exec = (...a: unknown[]) => {
        if (tBack && a[0] === 'Lease' && a[1] === 'leaseGrant') calls.push(Date.now() - tBack);
        return exec(...a);
      };
      try {
        await etcd.member.kill();
        await new Promise((r) => setTimeout(r, 3000)); // the outage: long enough for several backoff rounds
        etcd.member.wipe();
        etcd.member.start();
        await etcd.member.waitHealthy();
        tBack = Date.now();
        const fresh = rawClient(etcd.endpoints);
        try {
          await waitFor(async () => Object.keys(await freshRead(fresh, p)).length === N, {
            timeoutMs: 30_000,
            intervalMs: 100,
            message: `all ${N} keys back in the new etcd`,
          });
        } finally {
          fresh.close();
        }
      } finally {
        pool.exec = exec;
      }
      const allBack = Date.now() - tBack;
      calls.sort((a, b) => a - b);
      const window = calls; // every grant from etcd's return until all keys are back
      const slots = new Map<number, number>();
      for (const t of window) slots.set(Math.floor(t / 100), (slots.get(Math.floor(t / 100)) ?? 0) + 1);
      if (process.env.FAULTS_VERBOSE)
        process.stdout.write(`outage histogram (100 ms slots): ${JSON.stringify([...slots.entries()].sort((a, b) => a[0] - b[0]))}\n`);
      const busiest = Math.max(0, ...slots.values());
      const usedSlots = slots.size;
      recordFigure(SPEC, 'outage: all keys back after etcd healthy', allBack);
      recordFigure(SPEC, 'outage: lease grants until all back', window.length, 'grants');
      recordFigure(SPEC, 'outage: busiest 100 ms of those', busiest, 'grants');
      recordFigure(SPEC, 'outage: 100 ms slots used', usedSlots, 'slots');
      // In lockstep, every registry's retry lands in the same slot or two; with jitter they cover
      // many slots and no slot holds half of them.
      expect(window.length).toBeGreaterThanOrEqual(N / 2);
      // (Measured here: with jitter 7 to 10 slots and a busiest slot of 25 to 40%; with the jitter
      // removed (Math.random fixed) 3 slots and over 80% in one.)
      expect(usedSlots).toBeGreaterThanOrEqual(4);
      expect(busiest).toBeLessThanOrEqual(window.length / 2);
    } finally {
      await Promise.all(herd.map((r) => r.close()));
      shared.close();
      await etcd.stop();
    }
  });
});
