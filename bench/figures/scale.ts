import { Agent, killAll } from '../agent-client';
import { ImplName } from '../bench-client.interface';
import { BenchContext, instanceValue, msBetween, withEtcd } from '../bench-context';

export interface ScaleResult {
  impl: ImplName;
  instances: number;
  registries: number;
  /** Burst start until the watcher's map holds exactly every instance. */
  exactMs: number;
  /** Burst start until every register() resolved. */
  writesMs: number;
  registerFailures: number;
  /** The watcher process's CPU time (user + system) from before the burst until exact. */
  watcherCpuMs: number;
  /** Peak RSS of the watcher process (VmHWM) and its growth during the burst. */
  watcherPeakRssMb: number;
  watcherRssGrowthMb: number;
  /** Handler calls the watcher needed to get there (coalescing: fewer is better). */
  handlerCalls: number;
  error?: string;
}

interface AgentStats {
  cpu: { user: number; system: number };
  hwmKb: number;
  watches: Record<string, { deliveries: number; handlerCalls: number; size: number }>;
}

/**
 * Figure 3. N instances registered in one burst by R registries (each with its own client) spread
 * over a few child processes; a fresh watcher process watches the prefix. One fresh etcd per design.
 */
export async function measureScale(ctx: BenchContext): Promise<ScaleResult[]> {
  const { scaleInstances: n, scaleRegistries: r, scaleAgents: a } = ctx.sizes;
  const results: ScaleResult[] = [];
  for (const impl of ctx.impls) {
    results.push(
      await withEtcd(async (etcd) => {
        const agents = await Promise.all([
          Agent.spawn(`scale-watcher-${impl}`),
          ...Array.from({ length: a }, (_, k) => Agent.spawn(`scale-reg-${impl}-${k}`)),
        ]);
        const [watcher, ...registrars] = agents;
        const base = { impl, endpoints: etcd.endpoints, ttlSeconds: 5 };
        try {
          const ids = registrars.map((_, k) => Array.from({ length: r / a }, (_, j) => `r${k}-${j}`));
          await Promise.all(registrars.map((reg, k) => Promise.all(ids[k].map((clientId) => reg.call('open', { clientId, ...base })))));
          await watcher.call('open', { clientId: 'w', ...base });
          await watcher.call('watch', { clientId: 'w', watchId: 'w', prefix: '/scale/' });
          const before = await watcher.call<AgentStats>('stats');
          const bursts = await Promise.all(
            registrars.map((reg, k) =>
              reg.call<{ t0: string; t1: string; failures: number; lastError: string }>(
                'burst',
                { clientIds: ids[k], keysPerClient: n / r, prefix: '/scale/', value: instanceValue(k) },
                180_000,
              ),
            ),
          );
          const t0 = bursts.map((b) => BigInt(b.t0)).reduce((x, y) => (y < x ? y : x));
          const t1 = bursts.map((b) => BigInt(b.t1)).reduce((x, y) => (y > x ? y : x));
          const failures = bursts.reduce((s, b) => s + b.failures, 0);
          // Exact means: the watcher holds what etcd holds (a failed registration is counted, not waited for).
          const held = Number((await etcd.client.getAll().prefix('/scale/').count()) ?? n);
          const exact = await watcher.expect('w', { kind: 'size', size: held }, 30_000);
          let exactMs = NaN;
          let error: string | undefined = failures
            ? `${failures} registration(s) failed: ${bursts.find((b) => b.failures)?.lastError}`
            : undefined;
          try {
            exactMs = msBetween(t0, await exact.met);
          } catch (e) {
            error = (e as Error).message + (error ? `; ${error}` : '');
          }
          const after = await watcher.call<AgentStats>('stats');
          const result: ScaleResult = {
            impl,
            instances: n,
            registries: r,
            exactMs,
            writesMs: msBetween(t0, t1),
            registerFailures: failures,
            watcherCpuMs: (after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) / 1000,
            watcherPeakRssMb: after.hwmKb / 1024,
            watcherRssGrowthMb: (after.hwmKb - before.hwmKb) / 1024,
            handlerCalls: after.watches.w.handlerCalls - before.watches.w.handlerCalls,
            error,
          };
          ctx.log(
            `  scale ${impl}: exact after ${exactMs.toFixed(0)} ms, writes ${result.writesMs.toFixed(0)} ms, ${result.handlerCalls} handler calls, watcher CPU ${result.watcherCpuMs.toFixed(0)} ms`,
          );
          return result;
        } finally {
          await killAll(agents);
        }
      }),
    );
  }
  return results;
}
