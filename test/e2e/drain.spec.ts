import { Etcd3 } from 'etcd3';
import { InstanceMap, ServiceInstance, createRegistry, watchInstances, EtcdRegistry } from '../../lib';
import { EtcdServer, useEtcd } from '../support/etcd-launcher';
import { startFaultProxy } from '../support/fault-proxy';
import { withNestApps } from '../support/nest-app';
import { uniquePrefix } from '../support/registry-fixtures';
import { rawClient } from '../support/registry-probe';
import { startUserApp } from '../support/user-app';
import { waitFor } from '../support/wait-for';

jest.setTimeout(60_000);

/** Graceful drain on shutdown, against real etcd and real HTTP servers. */
describe('graceful drain (real etcd)', () => {
  let etcd: EtcdServer;
  let client: Etcd3;
  let watcher: EtcdRegistry;
  const apps = withNestApps();

  beforeAll(async () => {
    etcd = await useEtcd();
    client = rawClient(etcd.endpoints);
    watcher = createRegistry({ endpoints: etcd.endpoints });
  });
  afterAll(async () => {
    await watcher?.close();
    client?.close();
    await etcd?.stop();
  });

  /** The key's history as a watcher sees it: [ms since `t0`, status or 'gone']. */
  async function follow(prefix: string, key: string) {
    const seen: { at: number; state: string }[] = [];
    const sub = await watchInstances(
      watcher,
      prefix,
      (fleet: InstanceMap) => {
        const i = fleet.all().find((x) => x.key === key);
        const state = i ? i.status : 'gone';
        if (seen[seen.length - 1]?.state !== state) seen.push({ at: Date.now(), state });
      },
      { codec: 'json' },
    );
    return { seen, sub };
  }

  it('json: the key is re-written draining at once, stays while the app serves for drainMs, then goes with the lease', async () => {
    const prefix = uniquePrefix('drain');
    const { app, port, key } = await startUserApp(apps, etcd.endpoints, prefix, 'u1', { codec: 'json', drainMs: 800 });
    const { seen, sub } = await follow(prefix, key);
    expect(seen.map((s) => s.state)).toEqual(['up']);
    const lease = (await client.get(key).exec()).kvs[0].lease;

    const t0 = Date.now();
    const closing = apps.close(app);
    await waitFor(() => seen.some((s) => s.state === 'draining'), { timeoutMs: 2000, message: 'draining in the watcher' });
    const markedMs = seen.find((s) => s.state === 'draining')!.at - t0;
    // The app keeps answering during the drain.
    const res = await fetch(`http://127.0.0.1:${port}/users/7`);
    expect(res.status).toBe(200);
    await closing;
    const closedMs = Date.now() - t0;
    await waitFor(() => seen.some((s) => s.state === 'gone'), { timeoutMs: 2000, message: 'gone in the watcher' });
    const goneMs = seen.find((s) => s.state === 'gone')!.at - t0;
    await sub.remove();

    expect(seen.map((s) => s.state)).toEqual(['up', 'draining', 'gone']);
    expect(markedMs).toBeLessThan(500);
    expect(goneMs).toBeGreaterThanOrEqual(800);
    expect(closedMs).toBeGreaterThanOrEqual(800);
    expect(closedMs).toBeLessThan(800 + 2000);
    expect((await client.get(key).exec()).kvs).toEqual([]);
    const ttl = await client.leaseClient.leaseTimeToLive({ ID: lease, keys: false });
    expect(Number(ttl.TTL)).toBe(-1); // revoked, not left to expire
    process.stdout.write(
      `drain (json, drainMs 800): draining seen after ${markedMs} ms, key gone after ${goneMs} ms, app.close() ${closedMs} ms\n`,
    );
  });

  it('plain value: the key is deleted first (a plain value cannot say draining), the app serves for drainMs, then closes', async () => {
    const prefix = uniquePrefix('drain');
    const { app, port, key } = await startUserApp(apps, etcd.endpoints, prefix, 'u1', { drainMs: 800 });
    const { seen, sub } = await follow(prefix, key);
    const t0 = Date.now();
    const closing = apps.close(app);
    await waitFor(() => seen.some((s) => s.state === 'gone'), { timeoutMs: 2000, message: 'gone in the watcher' });
    const goneMs = seen.find((s) => s.state === 'gone')!.at - t0;
    const res = await fetch(`http://127.0.0.1:${port}/users/7`);
    const answeredMs = Date.now() - t0;
    expect(res.status).toBe(200);
    await closing;
    const closedMs = Date.now() - t0;
    await sub.remove();
    expect(seen.map((s) => s.state)).toEqual(['up', 'gone']);
    expect(goneMs).toBeLessThan(500);
    expect(answeredMs).toBeGreaterThan(goneMs);
    expect(closedMs).toBeGreaterThanOrEqual(800);
    process.stdout.write(
      `drain (plain, drainMs 800): key gone after ${goneMs} ms, a request answered at ${answeredMs} ms, app.close() ${closedMs} ms\n`,
    );
  });

  it('drainMs 0 (default) keeps the old behaviour: deleted at once, close is quick', async () => {
    const prefix = uniquePrefix('drain');
    const { app, key } = await startUserApp(apps, etcd.endpoints, prefix, 'u1', { codec: 'json' });
    const { seen, sub } = await follow(prefix, key);
    const t0 = Date.now();
    await apps.close(app);
    const closedMs = Date.now() - t0;
    await waitFor(() => seen.some((s) => s.state === 'gone'), { timeoutMs: 2000, message: 'gone' });
    await sub.remove();
    expect(seen.map((s) => s.state)).toEqual(['up', 'gone']);
    expect(closedMs).toBeLessThan(1000);
  });

  it('with etcd unreachable, app.close() still ends within drainMs + timeoutMs', async () => {
    const prefix = uniquePrefix('drain');
    const proxy = await startFaultProxy(etcd.endpoints);
    try {
      const { app, port } = await startUserApp(apps, proxy.endpoints, prefix, 'u1', { codec: 'json', drainMs: 500, timeoutMs: 1500 });
      proxy.blackhole();
      const t0 = Date.now();
      const closing = apps.close(app);
      // Still serving during the drain, etcd or not.
      expect((await fetch(`http://127.0.0.1:${port}/users/1`)).status).toBe(200);
      await closing;
      const closedMs = Date.now() - t0;
      expect(closedMs).toBeGreaterThanOrEqual(500);
      expect(closedMs).toBeLessThan(500 + 1500 + 1000);
      process.stdout.write(`drain with etcd blackholed (drainMs 500, timeoutMs 1500): app.close() ${closedMs} ms\n`);
    } finally {
      await proxy.close();
    }
  });

  /**
   * A rolling restart under load: clients pick an `up` instance from their watch (no retry) and
   * send requests continuously while every instance is replaced one by one. Returns the counts.
   */
  async function rollingRestart(drainMs: number): Promise<{ sent: number; failed: number; errors: string[]; ms: number }> {
    const t0 = Date.now();
    const prefix = uniquePrefix('roll');
    const opts = { codec: 'json' as const, drainMs };
    const fleet = [
      await startUserApp(apps, etcd.endpoints, prefix, 'a1', opts),
      await startUserApp(apps, etcd.endpoints, prefix, 'a2', opts),
    ];
    let up: readonly ServiceInstance[] = [];
    const sub = await watchInstances(watcher, prefix, (f) => void (up = (f.get('users') ?? []).filter((i) => i.status === 'up')), {
      codec: 'json',
    });
    const stats = { sent: 0, failed: 0, errors: [] as string[] };
    let stop = false;
    let next = 0;
    const worker = async () => {
      while (!stop) {
        const list = up;
        if (list.length === 0) {
          await new Promise((r) => setTimeout(r, 5));
          continue;
        }
        const target = list[next++ % list.length];
        stats.sent++;
        try {
          const res = await fetch(`http://${target.address}/users/${stats.sent}`, { signal: AbortSignal.timeout(3000) });
          if (!res.ok) throw new Error(`HTTP ${res.status}`);
          await res.json();
        } catch (e) {
          stats.failed++;
          if (stats.errors.length < 5)
            stats.errors.push(`${target.id}: ${e instanceof Error ? ((e as { cause?: Error }).cause?.message ?? e.message) : String(e)}`);
        }
      }
    };
    const workers = Array.from({ length: 6 }, worker);
    for (const [i, old] of fleet.entries()) {
      const fresh = await startUserApp(apps, etcd.endpoints, prefix, `b${i + 1}`, opts);
      await waitFor(() => up.some((x) => x.key === fresh.key), { message: 'the new instance in the watch' });
      await apps.close(old.app);
    }
    stop = true;
    await Promise.all(workers);
    await sub.remove();
    return { ...stats, ms: Date.now() - t0 };
  }

  it('a rolling restart with requests in flight: zero failed requests with drainMs', async () => {
    const withoutDrain = await rollingRestart(0);
    const withDrain = await rollingRestart(300);
    process.stdout.write(
      `rolling restart of 2 instances, 6 clients without retry: drainMs 300 -> ${withDrain.failed}/${withDrain.sent} failed in ${withDrain.ms} ms; ` +
        `drainMs 0 -> ${withoutDrain.failed}/${withoutDrain.sent} failed in ${withoutDrain.ms} ms ${withoutDrain.errors.join('; ')}\n`,
    );
    expect(withDrain.errors).toEqual([]);
    expect(withDrain.failed).toBe(0);
    expect(withDrain.sent).toBeGreaterThan(30);
  });
});
