import { Agent } from '../agent-client';
import { ImplName } from '../bench-client.interface';
import { BenchContext, instanceValue, msBetween, nowNs, prefill, withEtcd } from '../bench-context';
import { median } from '../stats';

export interface GrowthPoint {
  impl: ImplName;
  keys: number;
  /** One change at a time: put until the watcher holds it, and the watcher's CPU per change. */
  sequentialLatencyMs: number;
  sequentialCpuPerChangeMs: number;
  /** A burst of B puts at once: handler calls it took, and the watcher's CPU per change. */
  burstChanges: number;
  burstHandlerCalls: number;
  burstCpuPerChangeMs: number;
  burstMs: number;
  /** Heap (+ external) held by the watch, after GC, once the map is complete. */
  watchHeapMb: number;
  /**
   * RSS of the watcher process once the map is complete (after GC), minus the same process before it
   * watched; at the largest map, the median over `memorySamples` watcher processes (watchRssSamplesMb).
   */
  watchRssMb: number;
  watchRssSamplesMb?: number[];
  /** Every one-at-a-time change's latency, ms (for the distribution plot). */
  sequentialMs?: number[];
}

interface Stats {
  cpu: { user: number; system: number };
  mem: { heapUsed: number; external: number; rss: number };
  watches: Record<string, { handlerCalls: number }>;
}

const cpuMs = (a: Stats, b: Stats) => (b.cpu.user + b.cpu.system - a.cpu.user - a.cpu.system) / 1000;
const heap = (s: Stats) => s.mem.heapUsed + s.mem.external;

/**
 * Figures 5 and 6. A watcher process per design and map size (fresh, with --expose-gc): memory of
 * the complete map, then changes one at a time and in a burst. The prefixes are prefilled once.
 */
export async function measureGrowth(ctx: BenchContext): Promise<GrowthPoint[]> {
  const { growthSizes, growthChanges: changes, growthBurst: burst } = ctx.sizes;
  const points: GrowthPoint[] = [];
  await withEtcd(async (etcd) => {
    for (const n of growthSizes) await prefill(etcd.client, `/g${n}/`, n, instanceValue(n));
    for (const n of growthSizes) {
      for (const impl of ctx.impls) {
        const prefix = `/g${n}/`;
        const agent = await Agent.spawn(`growth-${impl}-${n}`, { exposeGc: true });
        try {
          const { m0, m1 } = await watchAll(agent, impl, etcd.endpoints, prefix, n);
          const profile = ctx.profileDir && impl === 'ours' && n === growthSizes[growthSizes.length - 1];
          if (profile) await agent.call('profileStart');
          // One change at a time.
          const s0 = await agent.call<Stats>('stats');
          const lat: number[] = [];
          for (let i = 0; i < changes; i++) {
            const key = `${prefix}chg-${i}`;
            const seen = await agent.expect('w', { kind: 'has', key }, 30_000);
            const t0 = nowNs();
            await etcd.client.put(key).value(instanceValue(i));
            lat.push(msBetween(t0, await seen.met));
          }
          const s1 = await agent.call<Stats>('stats');
          // A burst: every put sent at once.
          const done = await agent.expect('w', { kind: 'size', size: n + changes + burst }, 60_000);
          const b0 = nowNs();
          await Promise.all(Array.from({ length: burst }, (_, i) => etcd.client.put(`${prefix}burst-${i}`).value(instanceValue(i))));
          const burstMs = msBetween(b0, await done.met);
          const s2 = await agent.call<Stats>('stats');
          if (profile) await agent.call('profileStop', { file: `${ctx.profileDir}/growth-watcher-ours-${n}.cpuprofile` });
          const point: GrowthPoint = {
            impl,
            keys: n,
            sequentialLatencyMs: median(lat),
            sequentialCpuPerChangeMs: cpuMs(s0, s1) / changes,
            burstChanges: burst,
            burstHandlerCalls: s2.watches.w.handlerCalls - s1.watches.w.handlerCalls,
            burstCpuPerChangeMs: cpuMs(s1, s2) / burst,
            burstMs,
            watchHeapMb: (heap(m1) - heap(m0)) / 1024 / 1024,
            watchRssMb: (m1.mem.rss - m0.mem.rss) / 1024 / 1024,
            sequentialMs: lat,
          };
          points.push(point);
          ctx.log(
            `  growth ${impl} N=${n}: seq ${point.sequentialCpuPerChangeMs.toFixed(3)} ms CPU/change, burst ${point.burstHandlerCalls} calls for ${burst} changes, ` +
              `${point.burstCpuPerChangeMs.toFixed(3)} ms CPU/change, heap ${point.watchHeapMb.toFixed(1)} MB, RSS +${point.watchRssMb.toFixed(1)} MB`,
          );
        } finally {
          await agent.kill();
          await etcd.client.delete().prefix(`${prefix}chg-`);
          await etcd.client.delete().prefix(`${prefix}burst-`);
        }
      }
    }
    // RSS after a large transient peak (the first read) varies between processes: at the largest map,
    // more watcher processes per design, the designs interleaved, and the median is reported.
    const largest = growthSizes[growthSizes.length - 1];
    for (let k = 1; k < ctx.sizes.memorySamples; k++) {
      for (const impl of ctx.impls) {
        const point = points.find((p) => p.impl === impl && p.keys === largest)!;
        point.watchRssSamplesMb ??= [point.watchRssMb];
        point.watchRssSamplesMb.push(await watchRss(impl, etcd.endpoints, `/g${largest}/`, largest, k));
      }
    }
    for (const p of points) {
      if (p.watchRssSamplesMb) p.watchRssMb = median(p.watchRssSamplesMb);
    }
  });
  return points;
}

/** RSS a fresh watcher process of `impl` grows by, after GC, once it holds the `n` keys under `prefix`. */
async function watchRss(impl: ImplName, endpoints: string[], prefix: string, n: number, sample: number): Promise<number> {
  const agent = await Agent.spawn(`memory-${impl}-${n}-${sample}`, { exposeGc: true });
  try {
    const { m0, m1 } = await watchAll(agent, impl, endpoints, prefix, n);
    return (m1.mem.rss - m0.mem.rss) / 1024 / 1024;
  } finally {
    await agent.kill();
  }
}

/** Opens a client of `impl` in `agent` and watches `prefix` until it holds its `n` keys: the stats before and after, each after GC. */
async function watchAll(agent: Agent, impl: ImplName, endpoints: string[], prefix: string, n: number): Promise<{ m0: Stats; m1: Stats }> {
  await agent.call('open', { clientId: 'w', impl, endpoints, ttlSeconds: 5 });
  const m0 = await agent.call<Stats>('gc');
  await agent.call('watch', { clientId: 'w', watchId: 'w', prefix }, 120_000);
  await (
    await agent.expect('w', { kind: 'size', size: n }, 120_000)
  ).met;
  return { m0, m1: await agent.call<Stats>('gc') };
}
