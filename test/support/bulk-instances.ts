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
