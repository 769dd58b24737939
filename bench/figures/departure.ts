import { Agent, killAll } from '../agent-client';
import { ImplName } from '../bench-client.interface';
import { BenchContext, instanceValue, msBetween, nowNs, withEtcd } from '../bench-context';
import { spread, Spread } from '../stats';

export interface DepartureResult {
  impl: ImplName;
  ttlSeconds: number;
  gracefulMs: Spread;
  killMs: Spread;
}

/**
 * Figure 2. Graceful: a registry closes, until the watcher (another process) drops its key.
 * SIGKILL: the registrar's process is killed by PID, until the watcher drops its key (lease TTL).
 * All designs are killed at the same instant on each round, so they share the lease expiry tick.
 */
export async function measureDeparture(ctx: BenchContext): Promise<DepartureResult[]> {
  const ttlSeconds = ctx.sizes.departureTtlSeconds;
  const graceful = new Map<ImplName, number[]>(ctx.impls.map((i) => [i, []]));
  const killed = new Map<ImplName, number[]>(ctx.impls.map((i) => [i, []]));
  await withEtcd(async (etcd) => {
    const watcher = await Agent.spawn('dep-watcher');
    try {
      for (const impl of ctx.impls) {
        await watcher.call('open', { clientId: impl, impl, endpoints: etcd.endpoints, ttlSeconds });
        await watcher.call('watch', { clientId: impl, watchId: impl, prefix: `/dep/${impl}/` });
      }
      for (let r = 0; r < ctx.sizes.departureRounds; r++) {
        const registrars = await Promise.all(ctx.impls.map((impl) => Agent.spawn(`dep-${impl}-${r}`)));
        try {
          await Promise.all(
            ctx.impls.map(async (impl, k) => {
              const reg = registrars[k];
              const opts = { impl, endpoints: etcd.endpoints, ttlSeconds };
              // Graceful: one registry registers, the watcher holds the key, then the registry closes.
              await reg.call('open', { clientId: 'g', ...opts });
              const gKey = `/dep/${impl}/graceful-${r}`;
              const gIn = await watcher.expect(impl, { kind: 'has', key: gKey }, 15_000);
              await reg.call('register', { clientId: 'g', key: gKey, value: instanceValue(r) });
              await gIn.met;
              const gOut = await watcher.expect(impl, { kind: 'missing', key: gKey }, 15_000);
              const c = await reg.call<{ t0: string }>('close', { clientId: 'g' });
              graceful.get(impl)!.push(msBetween(c.t0, await gOut.met));
              // SIGKILL: another registry in the same process, registered and seen.
              await reg.call('open', { clientId: 'k', ...opts });
              const kKey = `/dep/${impl}/killed-${r}`;
              const kIn = await watcher.expect(impl, { kind: 'has', key: kKey }, 15_000);
              await reg.call('register', { clientId: 'k', key: kKey, value: instanceValue(r) });
              await kIn.met;
            }),
          );
          const outs = await Promise.all(
            ctx.impls.map((impl) => watcher.expect(impl, { kind: 'missing', key: `/dep/${impl}/killed-${r}` }, ttlSeconds * 1000 + 30_000)),
          );
          const t0 = nowNs();
          await killAll(registrars);
          for (let k = 0; k < ctx.impls.length; k++) killed.get(ctx.impls[k])!.push(msBetween(t0, await outs[k].met));
          ctx.log(
            `  departure round ${r + 1}: ` +
              ctx.impls
                .map((i) => `${i} close ${graceful.get(i)!.at(-1)!.toFixed(1)} ms / kill ${killed.get(i)!.at(-1)!.toFixed(0)} ms`)
                .join(', '),
          );
        } finally {
          await killAll(registrars);
        }
      }
    } finally {
      await watcher.kill();
    }
  });
  return ctx.impls.map((impl) => ({ impl, ttlSeconds, gracefulMs: spread(graceful.get(impl)!), killMs: spread(killed.get(impl)!) }));
}
