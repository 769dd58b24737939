import { BenchContext, instanceValue, withEtcd } from '../bench-context';
import { scrapeMetrics } from '../etcd-metrics';
import { loadCreateRegistry } from '../ours';

export interface LeasePoint {
  keys: number;
  timeoutMs: number;
  /** `keys` register() calls started at once on one registry, healthy etcd (the rejected ones are then registered 100 at a time). */
  concurrentRejected: number;
  concurrentMs: number;
  /** etcd watchers (etcd_debugging_mvcc_watcher_total) the registry holds with `keys` registered and no watch of its own. */
  watchers: number;
  /** Lease revoked from outside until every registered key is back under a new lease (NaN: not within the cap). */
  restoreMs: number;
  /** Keys back when the cap ran out (= registered when restoreMs is a number). */
  restoredKeys: number;
  registeredKeys: number;
  error?: string;
}

const RESTORE_CAP_MS = 60_000;

/**
 * Figure 7 (batched registration and restore at scale). Our registry only: the other designs neither batch nor
 * restore. One fresh etcd per point: N concurrent register() calls, the etcd watchers it then
 * holds, and the time to restore all N keys after its lease is revoked from outside.
 */
export async function measureLease(ctx: BenchContext): Promise<LeasePoint[]> {
  const createRegistry = loadCreateRegistry() as unknown as
    ((o: object) => { register(p: string, v: string): Promise<void>; close(): Promise<void>; leaseId?: string }) | undefined;
  if (!createRegistry || !ctx.impls.includes('ours')) return [];
  const sizes = ctx.small ? [1000, 2000] : [10_000, 20_000];
  const points: LeasePoint[] = [];
  for (const timeoutMs of [1000, 5000]) {
    for (const keys of sizes) {
      points.push(
        await withEtcd(async (etcd) => {
          const registry = createRegistry({ endpoints: etcd.endpoints, timeoutMs, ttlSeconds: 5 });
          const point: LeasePoint = {
            keys,
            timeoutMs,
            concurrentRejected: 0,
            concurrentMs: 0,
            watchers: 0,
            restoreMs: NaN,
            restoredKeys: 0,
            registeredKeys: 0,
          };
          try {
            const before = (await scrapeMetrics(etcd.port)).watchers;
            const t0 = Date.now();
            const results = await Promise.allSettled(
              Array.from({ length: keys }, (_, i) => registry.register(`/lease/svc-${i}`, instanceValue(i))),
            );
            point.concurrentMs = Date.now() - t0;
            point.concurrentRejected = results.filter((r) => r.status === 'rejected').length;
            // The rejected ones again, 100 at a time, so that every design holds all N keys before the revoke.
            const missing = results.flatMap((r, i) => (r.status === 'rejected' ? [i] : []));
            for (let k = 0; k < missing.length; k += 100) {
              await Promise.all(
                missing.slice(k, k + 100).map((i) => registry.register(`/lease/svc-${i}`, instanceValue(i)).catch(() => undefined)),
              );
            }
            point.watchers = (await scrapeMetrics(etcd.port)).watchers - before;
            const registered = new Set(
              (await etcd.client.getAll().prefix('/lease/').keys()).filter((k) => Number(k.slice('/lease/svc-'.length)) < keys),
            );
            point.registeredKeys = registered.size;
            const old = registry.leaseId!;
            await etcd.client.leaseClient.leaseRevoke({ ID: old });
            const t1 = Date.now();
            for (;;) {
              const res = await etcd.client.getAll().prefix('/lease/').exec();
              point.restoredKeys = res.kvs.filter((kv) => String(kv.lease) !== old && registered.has(kv.key.toString())).length;
              if (point.restoredKeys === point.registeredKeys) {
                point.restoreMs = Date.now() - t1;
                break;
              }
              if (Date.now() - t1 > RESTORE_CAP_MS) break;
              await new Promise((r) => setTimeout(r, 50));
            }
          } catch (e) {
            point.error = (e as Error).message;
          } finally {
            await registry.close();
          }
          ctx.log(
            `  lease timeoutMs ${timeoutMs}, ${keys} keys: ${point.concurrentRejected} rejected in ${point.concurrentMs} ms, ${point.watchers} watcher(s), restore ${point.restoreMs} ms (${point.restoredKeys}/${point.registeredKeys})`,
          );
          return point;
        }),
      );
    }
  }
  return points;
}
