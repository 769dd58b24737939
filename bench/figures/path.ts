import { Agent, killAll } from '../agent-client';
import { ImplName } from '../bench-client.interface';
import { BenchContext, instanceValue, msBetween, withEtcd } from '../bench-context';
import { GoFloorPair } from '../go-floor';
import { percentile, seededRandom, shuffled } from '../stats';

/** One writer/watcher pairing: p50 and p99 of put-to-watcher, and of the writer's call alone. */
export interface PathPair {
  writer: 'go' | ImplName;
  watcher: 'go' | ImplName;
  p50: number;
  p99: number;
  /** The writer's call until etcd answered (Node: register() resolved; Go: Put returned). */
  callP50: number;
}

/**
 * Figure 1b, where the time of one change goes: the same put-to-watcher measurement with each side
 * swapped for the Go clientv3 floor. Go writer -> Go watcher is the floor; Go writer -> a Node
 * watcher adds that watcher's receive path (grpc-js, protobufjs, etcd3, the design's delivery);
 * a Node writer -> Go watcher adds that writer's send path. Pairs are interleaved in rounds. Each
 * Node design has a registrar and a watcher process of its own (as in figure 1).
 */
export async function measurePath(ctx: BenchContext): Promise<PathPair[]> {
  if (!ctx.goFloor) return [];
  const nodeImpls = ctx.impls.filter((i) => i === 'raw' || i === 'ours');
  const changes = ctx.small ? 30 : 300;
  return withEtcd(async (etcd) => {
    const agents = new Map<string, { registrar: Agent; watcher: Agent }>();
    // One Go pair on the whole /path/ prefix: its writer feeds the Node watchers, its watcher times the Node writers.
    const go = await GoFloorPair.start(ctx.goFloor!, etcd.endpoints, '/path/', 5);
    try {
      for (const impl of nodeImpls) {
        const [registrar, watcher] = await Promise.all([Agent.spawn(`path-registrar-${impl}`), Agent.spawn(`path-watcher-${impl}`)]);
        agents.set(impl, { registrar, watcher });
        const opts = { impl, endpoints: etcd.endpoints, ttlSeconds: 5 };
        await registrar.call('open', { clientId: impl, ...opts });
        await watcher.call('open', { clientId: impl, ...opts });
        await registrar.call('register', { clientId: impl, key: `/path/w-${impl}/anchor`, value: instanceValue(0) });
        await watcher.call('watch', { clientId: impl, watchId: impl, prefix: `/path/r-${impl}/` });
      }
      await go.change('put', '/path/anchor', instanceValue(0));
      type Key = string;
      const pairs: [PathPair['writer'], PathPair['watcher']][] = [
        ['go', 'go'],
        ...nodeImpls.map((i) => ['go', i] as [Key, Key]),
        ...nodeImpls.map((i) => [i, 'go'] as [Key, Key]),
      ] as never;
      const samples = new Map<string, { lat: number[]; call: number[] }>(pairs.map(([w, r]) => [`${w}>${r}`, { lat: [], call: [] }]));
      // A fresh (seeded) order for every change: no pair always follows the same one.
      const random = seededRandom(7);
      for (let i = 0; i < changes; i++) {
        for (const [w, r] of shuffled(pairs, random)) {
          const s = samples.get(`${w}>${r}`)!;
          if (w === 'go' && r === 'go') {
            const t = await go.timedChange('put', `/path/gg-${i}`, instanceValue(i));
            s.lat.push(t.seenMs);
            s.call.push(t.callMs);
            await go.change('delete', `/path/gg-${i}`);
          } else if (w === 'go') {
            const key = `/path/r-${r}/k-${i}`;
            const appear = await agents.get(r)!.watcher.expect(r, { kind: 'has', key }, 15_000);
            const t = await go.timedChange('put', key, instanceValue(i));
            s.lat.push(msBetween(t.t0, await appear.met));
            s.call.push(t.callMs);
            await go.change('delete', key);
          } else {
            const key = `/path/w-${w}/k-${i}`;
            const seen = go.expectEvent('put', key);
            const { registrar } = agents.get(w)!;
            const c = await registrar.call<{ t0: string; t1: string }>('register', { clientId: w, key, value: instanceValue(i) });
            s.lat.push(msBetween(c.t0, await seen));
            s.call.push(msBetween(c.t0, c.t1));
            await registrar.call('unregister', { clientId: w, key });
          }
        }
      }
      return pairs.map(([w, r]) => {
        const s = samples.get(`${w}>${r}`)!;
        const pair: PathPair = {
          writer: w,
          watcher: r,
          p50: percentile(s.lat, 50),
          p99: percentile(s.lat, 99),
          callP50: percentile(s.call, 50),
        };
        ctx.log(
          `  path ${w} -> ${r}: p50 ${pair.p50.toFixed(2)} ms, p99 ${pair.p99.toFixed(2)} ms, writer call p50 ${pair.callP50.toFixed(2)} ms`,
        );
        return pair;
      });
    } finally {
      await go.stop();
      await killAll([...agents.values()].flatMap((a) => [a.registrar, a.watcher]));
    }
  });
}
