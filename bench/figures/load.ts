import { Agent } from '../agent-client';
import { ImplName } from '../bench-client.interface';
import { BenchContext, instanceValue, sleep, withEtcd } from '../bench-context';
import { ratesByMethod, scrapeMetrics } from '../etcd-metrics';

export interface LoadResult {
  impl: ImplName;
  /** Ours only: the anti-entropy interval of this run, when not the registry's default (0: off). */
  antiEntropyIntervalMs?: number;
  keys: number;
  registries: number;
  watchers: number;
  seconds: number;
  /** Requests per second by gRPC method: unary calls plus messages on streams (keep-alives, watch requests). */
  requestsPerSecond: Record<string, number>;
  totalRequestsPerSecond: number;
  /** etcd's own CPU use over the window, in CPU-seconds per second (percent of one core / 100). */
  etcdCpu: number;
  /** The clients' process CPU use over the window, in CPU-seconds per second. */
  clientCpu: number;
  leasesHeld: number;
  keysHeld: number;
  error?: string;
}

/** The anti-entropy intervals ours also runs with, beside its default (5 min): off (the load before it existed) and a short one (its per-check cost). */
export const LOAD_ANTI_ENTROPY_VARIANTS = [0, 1000];

/**
 * Figure 4. A fleet at rest: K keys in R registries and W watchers of the prefix, every design on
 * its own fresh etcd, all at once (the rates are counts, so sharing the CPU does not change them).
 * Ours runs three times: with its default anti-entropy interval, with it off, and with a short one.
 */
export async function measureLoad(ctx: BenchContext): Promise<LoadResult[]> {
  const { loadKeys: k, loadRegistries: r, loadWatchers: w, loadSeconds: seconds } = ctx.sizes;
  const runs: { impl: ImplName; antiEntropyIntervalMs?: number }[] = ctx.impls.flatMap((impl) => [
    { impl },
    ...(impl === 'ours' ? LOAD_ANTI_ENTROPY_VARIANTS.map((antiEntropyIntervalMs) => ({ impl, antiEntropyIntervalMs })) : []),
  ]);
  return Promise.all(
    runs.map(({ impl, antiEntropyIntervalMs }) =>
      withEtcd(async (etcd) => {
        const agent = await Agent.spawn(`load-${impl}${antiEntropyIntervalMs === undefined ? '' : `-ae${antiEntropyIntervalMs}`}`);
        try {
          const base = { impl, endpoints: etcd.endpoints, ttlSeconds: 5, antiEntropyIntervalMs };
          const ids = Array.from({ length: Math.max(r, w) }, (_, i) => `c${i}`);
          await Promise.all(ids.map((clientId) => agent.call('open', { clientId, ...base })));
          const burst = await agent.call<{ failures: number; lastError: string }>(
            'burst',
            { clientIds: ids.slice(0, r), keysPerClient: k / r, prefix: '/load/', value: instanceValue(k) },
            120_000,
          );
          await Promise.all(ids.slice(0, w).map((clientId) => agent.call('watch', { clientId, watchId: clientId, prefix: '/load/' })));
          const held = Number(await etcd.client.getAll().prefix('/load/').count());
          const settled = await Promise.all([
            agent.expect('c0', { kind: 'size', size: held }, 30_000),
            agent.expect(ids[w - 1], { kind: 'size', size: held }, 30_000),
          ]);
          const settleError = await Promise.all(settled.map((s) => s.met)).then(
            () => undefined,
            (e: Error) => e.message,
          );
          await sleep(2000); // let start-up calls finish before the window opens
          const m0 = await scrapeMetrics(etcd.port);
          const s0 = await agent.call<{ cpu: { user: number; system: number } }>('stats');
          const t0 = Date.now();
          await sleep(seconds * 1000); // the measurement window itself
          const m1 = await scrapeMetrics(etcd.port);
          const s1 = await agent.call<{ cpu: { user: number; system: number } }>('stats');
          const elapsed = (Date.now() - t0) / 1000;
          const rates = ratesByMethod(m0.received, m1.received, elapsed);
          const leases = (await etcd.client.leaseClient.leaseLeases({})).leases;
          const result: LoadResult = {
            impl,
            antiEntropyIntervalMs,
            keys: k,
            registries: r,
            watchers: w,
            seconds: elapsed,
            requestsPerSecond: rates,
            totalRequestsPerSecond: Object.values(rates).reduce((a, b) => a + b, 0),
            etcdCpu: (m1.cpuSeconds - m0.cpuSeconds) / elapsed,
            clientCpu: (s1.cpu.user + s1.cpu.system - s0.cpu.user - s0.cpu.system) / 1e6 / elapsed,
            leasesHeld: leases.length,
            keysHeld: held,
            error: burst.failures ? `${burst.failures} registration(s) failed: ${burst.lastError}` : settleError,
          };
          ctx.log(
            `  load ${impl}${antiEntropyIntervalMs === undefined ? '' : ` (anti-entropy ${antiEntropyIntervalMs} ms)`}: ${result.totalRequestsPerSecond.toFixed(1)} req/s ${JSON.stringify(Object.fromEntries(Object.entries(rates).map(([m, v]) => [m, +v.toFixed(1)])))}, etcd CPU ${(result.etcdCpu * 100).toFixed(1)}%`,
          );
          return result;
        } finally {
          await agent.kill();
        }
      }),
    ),
  );
}
