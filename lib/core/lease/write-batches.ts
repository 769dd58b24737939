/**
 * Pure planning of batched writes: which keys go into one transaction, and what each key's
 * current holder means for it.
 */

/** etcd's default --max-txn-ops: a transaction of more operations is refused. */
export const MAX_BATCH_KEYS = 128;
/** Well under etcd's default request limit (1.5 MiB) for the keys, values, compares and reads of one batch. */
export const MAX_BATCH_BYTES = 1024 * 1024;

/** The request bytes a key costs in a batch: its key in the compare, the put and the read, and its value. */
export function batchCost(path: string, value: string): number {
  return 3 * Buffer.byteLength(path) + Buffer.byteLength(value) + 32;
}

/** Splits `items` in order into chunks of at most `maxKeys` items and `maxBytes` (one item alone may exceed it). */
export function chunkByBudget<T>(
  items: readonly T[],
  cost: (item: T) => number,
  maxKeys = MAX_BATCH_KEYS,
  maxBytes = MAX_BATCH_BYTES,
): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const c = cost(item);
    if (current.length > 0 && (current.length >= maxKeys || bytes + c > maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += c;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** The key as etcd holds it now (from a read), or undefined when absent. */
export interface Holding {
  lease: string;
  value: string;
  modRevision: string;
}

/**
 * What to do with one key: `create` it if absent; `keep` it when our current lease already holds
 * it with this value; `update` it (compare on its mod revision) when one of our leases holds it;
 * refuse it (`conflict`) when another lease, or no lease, holds it.
 */
export type KeyDecision =
  { kind: 'create' } | { kind: 'keep' } | { kind: 'update'; modRevision: string } | { kind: 'conflict'; holder: string };

export function decide(holding: Holding | undefined, value: string, leaseId: string, isOwn: (lease: string) => boolean): KeyDecision {
  if (!holding) return { kind: 'create' };
  if (holding.lease === leaseId && holding.value === value) return { kind: 'keep' };
  if (holding.lease === leaseId || isOwn(holding.lease)) return { kind: 'update', modRevision: holding.modRevision };
  return { kind: 'conflict', holder: holding.lease };
}
