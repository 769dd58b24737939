import { Etcd3 } from 'etcd3';

/** A json instance value, as the fleet's services register it. */
export const bulkValue = (n: number, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({
    v: 1,
    address: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}:8080`,
    version: '1.2.3',
    zone: `z${n % 3}`,
    ...extra,
  });

/**
 * Writes `count` instances (`${prefix}svc-${n % services}/i${n}`) into etcd without leases, in
 * transactions of 100 puts (etcd's default --max-txn-ops is 128): 10,000 in about a second.
 */
export async function loadInstances(client: Etcd3, prefix: string, count: number, services = 50): Promise<string[]> {
  const keys = Array.from({ length: count }, (_, n) => `${prefix}svc-${n % services}/i${n}`);
  for (let start = 0; start < count; start += 100) {
    const batch = keys.slice(start, start + 100);
    await client
      .if(batch[0], 'Mod', '>', -1)
      .then(...batch.map((key, i) => client.put(key).value(bulkValue(start + i))))
      .commit();
  }
  return keys;
}

/**
 * 100 changes a second on the instances `keys` (as loadInstances wrote them), 10 every 100 ms in one
 * transaction: status and version flips of 8 instances of the upper half, one delete and the re-add
 * of the previous tick's delete (both in the lower half), until `stop()`, which puts every instance
 * back as loaded and resolves with the number of changes written.
 */
export function churnInstances(client: Etcd3, keys: readonly string[]): { stop(): Promise<number> } {
  const half = keys.length / 2;
  let n = 0;
  let running = true;
  const loop = (async () => {
    for (let tick = 0; running; tick++) {
      const started = Date.now();
      const ops = [];
      for (let j = 0; j < 8; j++) {
        const i = half + ((tick * 37 + j * 601) % half); // the upper half: never the key deleted or re-added
        ops.push(client.put(keys[i]).value(bulkValue(i, { status: tick % 2 ? 'draining' : 'up', version: `1.${tick % 7}.${j}` })));
      }
      const gone = (tick * 13) % half;
      ops.push(client.delete().key(keys[gone]));
      if (tick > 0) {
        const back = ((tick - 1) * 13) % half;
        ops.push(client.put(keys[back]).value(bulkValue(back)));
      }
      await client
        .if(keys[0], 'Mod', '>', -1)
        .then(...ops)
        .commit();
      n += ops.length;
      await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - started))));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      // Every instance back as loaded (the last tick's delete undone, values as loaded).
      for (let start = 0; start < keys.length; start += 100) {
        const batch = keys.slice(start, start + 100);
        await client
          .if(batch[0], 'Mod', '>', -1)
          .then(...batch.map((key, i) => client.put(key).value(bulkValue(start + i))))
          .commit();
      }
      return n;
    },
  };
}
