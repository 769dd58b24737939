import { Agent } from '../agent-client';
import { ImplName } from '../bench-client.interface';
import { BenchContext, instanceValue, msBetween, nowNs, prefill, withEtcd } from '../bench-context';
import { scrapeMetrics } from '../etcd-metrics';
import { median } from '../stats';

export interface FanoutResult {
  impl: ImplName;
  handlers: number;
  keys: number;
  /** etcd watchers added by the handlers on one prefix (from etcd's /metrics). */
  etcdWatchers: number;
  /** Watch streams started on etcd (grpc_server_started_total{grpc_method="Watch"}). */
  watchStreamsStarted: number;
  /** Median put-to-last-handler latency, with 1 handler and with all of them. */
  latencyOneMs: number;
  latencyAllMs: number;
  /** Watcher CPU per change with 1 handler and with all of them; per extra handler. */
  cpuPerChangeOneMs: number;
  cpuPerChangeAllMs: number;
  cpuPerHandlerUs: number;
}

/**
 * Figure 3b. H handlers on one prefix in one process: how many watches etcd holds for them, and
 * what each handler costs per change (against the same process with one handler).
 */
export async function measureFanout(ctx: BenchContext): Promise<FanoutResult[]> {
  const { fanoutHandlers: h, fanoutKeys: keys, fanoutChanges: changes } = ctx.sizes;
  const results: FanoutResult[] = [];
  for (const impl of ctx.impls) {
    results.push(
      await withEtcd(async (etcd) => {
        await prefill(etcd.client, '/fan1/', keys, instanceValue(1));
        await prefill(etcd.client, '/fanH/', keys, instanceValue(1));
        const agent = await Agent.spawn(`fanout-${impl}`);
        try {
          const run = async (prefix: string, handlers: number) => {
            const clientId = `${prefix}${handlers}`;
            await agent.call('open', { clientId, impl, endpoints: etcd.endpoints, ttlSeconds: 5 });
            const m0 = await scrapeMetrics(etcd.port);
            await agent.call('watch', { clientId, watchId: clientId, prefix, handlers }, 120_000);
            const s0 = await agent.call<{ cpu: { user: number; system: number } }>('stats');
            const lat: number[] = [];
            for (let i = 0; i < changes; i++) {
              const key = `${prefix}chg-${i}`;
              const seen = await agent.expect(clientId, { kind: 'has', key }, 15_000);
              const t0 = nowNs();
              await etcd.client.put(key).value(instanceValue(i));
              lat.push(msBetween(t0, await seen.met));
            }
            const s1 = await agent.call<{ cpu: { user: number; system: number } }>('stats');
            // Scraped once changes have gone through, so every etcd watch behind the handlers is live.
            const m1 = await scrapeMetrics(etcd.port);
            return {
              watchers: m1.watchers - m0.watchers,
              streams: (m1.started.Watch ?? 0) - (m0.started.Watch ?? 0),
              latency: median(lat),
              cpuPerChange: (s1.cpu.user + s1.cpu.system - s0.cpu.user - s0.cpu.system) / 1000 / changes,
            };
          };
          const one = await run('/fan1/', 1);
          const all = await run('/fanH/', h);
          const result: FanoutResult = {
            impl,
            handlers: h,
            keys,
            etcdWatchers: all.watchers,
            watchStreamsStarted: all.streams,
            latencyOneMs: one.latency,
            latencyAllMs: all.latency,
            cpuPerChangeOneMs: one.cpuPerChange,
            cpuPerChangeAllMs: all.cpuPerChange,
            cpuPerHandlerUs: ((all.cpuPerChange - one.cpuPerChange) / (h - 1)) * 1000,
          };
          ctx.log(
            `  fanout ${impl}: ${h} handlers -> ${result.etcdWatchers} etcd watcher(s), ${result.cpuPerHandlerUs.toFixed(1)} us CPU per handler per change`,
          );
          return result;
        } finally {
          await agent.kill();
        }
      }),
    );
  }
  return results;
}
