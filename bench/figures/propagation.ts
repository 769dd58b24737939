import { Agent, killAll } from '../agent-client';
import { ImplName } from '../bench-client.interface';
import { BenchContext, instanceValue, msBetween, withEtcd } from '../bench-context';
import { GoFloorPair } from '../go-floor';
import { percentile, seededRandom, shuffled, spread, Spread } from '../stats';

export interface PropagationResult {
  impl: ImplName;
  /** Every change, in ms: register in one process until the watcher in another holds it. */
  registerMs: number[];
  unregisterMs: number[];
  /**
   * How long `register()` itself took to resolve, in the registrar (breakdown of the figure); for the
   * Go programs, the writer's request until etcd answered (its t0 to t1).
   */
  registerCallMs?: number[];
  /** The same for `unregister()`. */
  unregisterCallMs?: number[];
  registerP50: number;
  registerP99: number;
  unregisterP50: number;
  unregisterP99: number;
  /** Spread of the per-round p50 and p99. */
  roundP50: Spread;
  roundP99: Spread;
}

/**
 * Figure 1. Per design, a registrar process and a watcher process of its own, as an application
 * runs one design (for the Go floor and the Go seed design: a Go writer and a Go watcher), all on
 * the same shared monotonic clock. Processes shared by the Node designs made a design's figure
 * depend on the others beside it: with ours and the guarded floor alone, ours was 0.98-1.00x the
 * floor at p50; with raw etcd3 also in the two processes, 1.03-1.09x (four runs each).
 * Besides `ctx.impls`, the designs of `ctx.propagationOnly` (the guarded floor, the Node http2 floor) are measured here.
 * Designs are interleaved change by change, so drift on the shared machine hits all of them alike.
 */
export async function measurePropagation(ctx: BenchContext): Promise<PropagationResult[]> {
  const { rounds, propagationChangesPerRound: changes } = ctx.sizes;
  return withEtcd(async (etcd) => {
    const agents = new Map<ImplName, { registrar: Agent; watcher: Agent }>();
    const allAgents = () => [...agents.values()].flatMap((a) => [a.registrar, a.watcher]);
    // The Go programs, each a writer and a watcher process measured alike: the floor, then the seed's design.
    const goPairs = new Map<ImplName, GoFloorPair>();
    const stopGo = () => Promise.all([...goPairs.values()].map((p) => p.stop()));
    try {
      if (ctx.goFloor) goPairs.set('go', await GoFloorPair.start(ctx.goFloor, etcd.endpoints, '/prop/go/', 5));
      if (ctx.goSeed) goPairs.set('goseed', await GoFloorPair.start(ctx.goSeed, etcd.endpoints, '/prop/goseed/', 5, 'Go seed design'));
    } catch (err) {
      await stopGo();
      throw err;
    }
    // The guarded floor (and the Node http2 floor, when asked for) right after raw, so the table reads raw, the floors, the designs, Go.
    const nodeImpls: ImplName[] = [
      ...ctx.impls.filter((i) => i === 'raw'),
      ...ctx.propagationOnly,
      ...ctx.impls.filter((i) => i !== 'raw'),
    ];
    const designs: ImplName[] = [...nodeImpls, ...goPairs.keys()];
    try {
      for (const impl of nodeImpls) {
        const [registrar, watcher] = await Promise.all([Agent.spawn(`prop-registrar-${impl}`), Agent.spawn(`prop-watcher-${impl}`)]);
        agents.set(impl, { registrar, watcher });
        const opts = { impl, endpoints: etcd.endpoints, ttlSeconds: 5 };
        await registrar.call('open', { clientId: impl, ...opts });
        await watcher.call('open', { clientId: impl, ...opts });
        // A standing key keeps the registrar's lease, as a running service's own entry would.
        await registrar.call('register', { clientId: impl, key: `/prop/${impl}/anchor`, value: instanceValue(0) });
        await watcher.call('watch', { clientId: impl, watchId: impl, prefix: `/prop/${impl}/` });
      }
      for (const [impl, go] of goPairs) await go.change('put', `/prop/${impl}/anchor`, instanceValue(0));
      type Figures = { reg: number[]; unreg: number[]; call: number[]; unregCall: number[] };
      const perRound = new Map<ImplName, Figures[]>(designs.map((i) => [i, []]));
      const random = seededRandom(11);
      /** One change (register, then unregister) of one design; its four figures go into `into`. */
      const oneChange = async (impl: ImplName, key: string, value: string, into: Figures) => {
        const go = goPairs.get(impl);
        if (go) {
          // As GoFloorPair.change, keeping the writer's own t0 to t1 as the Node designs keep their call's.
          const put = await go.write('put', key, value);
          into.reg.push(msBetween(put.t0, await go.expectEvent('put', key, put.t0)));
          into.call.push(msBetween(put.t0, put.t1));
          const del = await go.write('delete', key);
          into.unreg.push(msBetween(del.t0, await go.expectEvent('delete', key, del.t0)));
          into.unregCall.push(msBetween(del.t0, del.t1));
          return;
        }
        const { registrar, watcher } = agents.get(impl)!;
        const appear = await watcher.expect(impl, { kind: 'has', key }, 15_000);
        const w = await registrar.call<{ t0: string; t1: string }>('register', { clientId: impl, key, value });
        into.reg.push(msBetween(w.t0, await appear.met));
        into.call.push(msBetween(w.t0, w.t1));
        const leave = await watcher.expect(impl, { kind: 'missing', key }, 15_000);
        const d = await registrar.call<{ t0: string; t1: string }>('unregister', { clientId: impl, key });
        into.unreg.push(msBetween(d.t0, await leave.met));
        into.unregCall.push(msBetween(d.t0, d.t1));
      };
      for (let r = 0; r < rounds; r++) {
        const ours = agents.get('ours')?.watcher;
        if (ctx.profileDir && r === 0) await ours?.call('profileStart');
        const round = new Map<ImplName, Figures>(designs.map((impl) => [impl, { reg: [], unreg: [], call: [], unregCall: [] }]));
        // Interleaved change by change, so a slow second of the shared machine lands on every design
        // alike instead of on the one whose block it fell in; in a fresh (seeded) order each time, so
        // no design always follows the same one (the work a design leaves to etcd, such as the seed
        // design's lease revokes, would otherwise always fall on the same next design).
        for (let i = 0; i < changes; i++) {
          for (const impl of shuffled(designs, random)) {
            await oneChange(impl, `/prop/${impl}/r${r}-${i}`, instanceValue(i), round.get(impl)!);
          }
        }
        if (ctx.profileDir && r === 0) {
          await ours?.call('profileStop', { file: `${ctx.profileDir}/propagation-watcher-ours.cpuprofile` });
        }
        for (const impl of designs) {
          const x = round.get(impl)!;
          perRound.get(impl)!.push(x);
          ctx.log(
            `  propagation round ${r + 1}/${rounds} ${impl}: p50 ${percentile(x.reg, 50).toFixed(2)} ms, p99 ${percentile(x.reg, 99).toFixed(2)} ms`,
          );
        }
      }
      for (const [impl, { registrar }] of agents) await registrar.call('close', { clientId: impl }).catch(() => undefined);
      return designs.map((impl) => {
        const rs = perRound.get(impl)!;
        const registerMs = rs.flatMap((x) => x.reg);
        const unregisterMs = rs.flatMap((x) => x.unreg);
        return {
          impl,
          registerMs,
          unregisterMs,
          registerCallMs: rs.flatMap((x) => x.call),
          unregisterCallMs: rs.flatMap((x) => x.unregCall),
          registerP50: percentile(registerMs, 50),
          registerP99: percentile(registerMs, 99),
          unregisterP50: percentile(unregisterMs, 50),
          unregisterP99: percentile(unregisterMs, 99),
          roundP50: spread(rs.map((x) => percentile(x.reg, 50))),
          roundP99: spread(rs.map((x) => percentile(x.reg, 99))),
        };
      });
    } finally {
      await stopGo();
      await killAll(allAgents());
    }
  });
}
