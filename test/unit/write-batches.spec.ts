import { MAX_BATCH_KEYS, batchCost, chunkByBudget, decide } from '../../lib/core/lease/write-batches';

describe('batched guarded writes: planning (pure)', () => {
  const own = (ids: string[]) => (lease: string) => ids.includes(lease);

  it('decides each key by its current holder', () => {
    expect(decide(undefined, 'v', '7', own(['7']))).toEqual({ kind: 'create' });
    expect(decide({ lease: '7', value: 'v', modRevision: '5' }, 'v', '7', own(['7']))).toEqual({ kind: 'keep' });
    expect(decide({ lease: '7', value: 'old', modRevision: '5' }, 'v', '7', own(['7']))).toEqual({ kind: 'update', modRevision: '5' });
    // Held by an earlier lease of ours (etcd kept it after a loss): taken over.
    expect(decide({ lease: '3', value: 'v', modRevision: '9' }, 'v', '7', own(['3', '7']))).toEqual({ kind: 'update', modRevision: '9' });
    expect(decide({ lease: '4', value: 'v', modRevision: '9' }, 'v', '7', own(['3', '7']))).toEqual({ kind: 'conflict', holder: '4' });
    expect(decide({ lease: '0', value: 'v', modRevision: '9' }, 'v', '7', own(['7']))).toEqual({ kind: 'conflict', holder: '0' });
  });

  it('chunks by key count (etcd max-txn-ops 128) and by bytes, in order', () => {
    const items = Array.from({ length: 300 }, (_, i) => i);
    const chunks = chunkByBudget(items, () => 10);
    expect(chunks.map((c) => c.length)).toEqual([MAX_BATCH_KEYS, MAX_BATCH_KEYS, 300 - 2 * MAX_BATCH_KEYS]);
    expect(chunks.flat()).toEqual(items);
    expect(chunkByBudget([1, 2, 3, 4], () => 400, 128, 1000).map((c) => c.length)).toEqual([2, 2]);
    // An item over the budget goes alone rather than never.
    expect(chunkByBudget(['big', 'a'], (x) => (x === 'big' ? 5000 : 1), 128, 1000)).toEqual([['big'], ['a']]);
    expect(chunkByBudget([], () => 1)).toEqual([]);
  });

  it('counts a key three times (compare, put, read) plus its value, in UTF-8 bytes', () => {
    expect(batchCost('/a', 'xyz')).toBe(3 * 2 + 3 + 32);
    expect(batchCost('/é', '')).toBe(3 * 3 + 32);
  });
});
