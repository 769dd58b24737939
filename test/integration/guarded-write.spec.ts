import { scrapeMetrics } from '../../bench/etcd-metrics';
import { deleteIfOurs, writeGuarded } from '../../lib/core/lease/guarded-write';
import { EtcdServer, startEtcd } from '../support/etcd-launcher';
import { RegistryPool, uniquePrefix } from '../support/registry-fixtures';

/** Batched guarded writes (lib/core/lease/guarded-write.ts) against a real etcd, counting transactions. */
describe('guarded batch writes (real etcd)', () => {
  let etcd: EtcdServer;
  const pool = new RegistryPool();
  beforeAll(async () => {
    etcd = await startEtcd();
  });
  afterEach(() => pool.closeAll());
  afterAll(() => etcd.stop());

  const port = () => Number(etcd.endpoints[0].split(':')[1]);
  const txns = async () => (await scrapeMetrics(port())).handled.Txn ?? 0;

  it('writes a batch of absent keys in one transaction', async () => {
    const client = pool.client(etcd.endpoints);
    const lease = await client.lease(10, { autoKeepAlive: false }).grant();
    const prefix = uniquePrefix();
    const items = Array.from({ length: 128 }, (_, i) => ({ path: `${prefix}k/${i}`, value: `v${i}` }));
    const before = await txns();
    const outcomes = await writeGuarded(client.namespace(''), items, lease, (l) => l === lease);
    expect(await txns()).toBe(before + 1);
    expect(outcomes.every((o) => o.kind === 'written' && o.rewritten)).toBe(true);
    const kvs = (await client.getAll().prefix(prefix).exec()).kvs;
    expect(kvs).toHaveLength(128);
    expect(new Set(kvs.map((kv) => String(kv.lease)))).toEqual(new Set([lease]));
  });

  // Keys expected absent go lean (no else branch): one present costs a read of the batch, then the decided write.
  // Keys expected present (re-registrations) are read in the first transaction's else branch.
  it.each([
    ['expected absent: lean transaction, a read, the decided write', false, 3],
    ['expected present: read in the else branch, then the decided write', true, 2],
  ])('decides each key of a mixed batch (create, keep, take over, refuse), %s', async (_, expectPresent, requests) => {
    const client = pool.client(etcd.endpoints);
    const [old, current, foreign] = await Promise.all([10, 10, 10].map((ttl) => client.lease(ttl, { autoKeepAlive: false }).grant()));
    const prefix = uniquePrefix();
    await client.put(`${prefix}kept`).value('same').lease(current);
    await client.put(`${prefix}changed`).value('before').lease(current);
    await client.put(`${prefix}earlier`).value('e').lease(old);
    await client.put(`${prefix}theirs`).value('t').lease(foreign);
    await client.put(`${prefix}static`).value('s');
    const items = ['absent', 'kept', 'changed', 'earlier', 'theirs', 'static'].map((k) => ({
      path: `${prefix}${k}`,
      value: k === 'kept' ? 'same' : `new-${k}`,
      expectPresent: expectPresent && k === 'kept',
    }));
    const before = await txns();
    const outcomes = await writeGuarded(client.namespace(''), items, current, (l) => l === old || l === current);
    expect(await txns()).toBe(before + requests);
    expect(outcomes.map((o) => (o.kind === 'written' ? (o.rewritten ? 'written' : 'kept') : `conflict:${o.holder}`))).toEqual([
      'written',
      'kept',
      'written',
      'written',
      `conflict:${foreign}`,
      'conflict:0',
    ]);
    const held = async (k: string) => {
      const kv = (await client.get(`${prefix}${k}`).exec()).kvs[0];
      return `${kv.value.toString()}@${kv.lease}`;
    };
    expect(await held('absent')).toBe(`new-absent@${current}`);
    expect(await held('changed')).toBe(`new-changed@${current}`);
    expect(await held('earlier')).toBe(`new-earlier@${current}`);
    expect(await held('theirs')).toBe(`t@${foreign}`);
    expect(await held('static')).toBe('s@0');
  });

  it('deletes only a key one of our leases holds, in one transaction when it is under the current lease', async () => {
    const client = pool.client(etcd.endpoints);
    const [ours, older, theirs] = await Promise.all([10, 10, 10].map((ttl) => client.lease(ttl, { autoKeepAlive: false }).grant()));
    const prefix = uniquePrefix();
    await client.put(`${prefix}a`).value('x').lease(ours);
    await client.put(`${prefix}b`).value('y').lease(theirs);
    await client.put(`${prefix}old`).value('z').lease(older);
    const kv = client.namespace('');
    const isOwn = (l: string) => l === ours || l === older;
    const calls = async () => {
      const m = await scrapeMetrics(port());
      return (m.handled.Txn ?? 0) + (m.handled.Range ?? 0) + (m.handled.DeleteRange ?? 0);
    };
    const c0 = await calls();
    expect(await deleteIfOurs(kv, `${prefix}a`, ours, isOwn)).toEqual({ deleted: true });
    expect((await calls()) - c0).toBe(1);
    // Not under the current lease: the lean transaction failed, a read tells who holds it.
    const c1 = await calls();
    expect(await deleteIfOurs(kv, `${prefix}b`, ours, isOwn)).toEqual({ deleted: false, holder: theirs });
    expect((await calls()) - c1).toBe(2);
    expect(await client.get(`${prefix}b`).string()).toBe('y');
    expect(await deleteIfOurs(kv, `${prefix}none`, ours, isOwn)).toEqual({ deleted: false });
    // Under an older lease of ours: a second round with that lease.
    expect(await deleteIfOurs(kv, `${prefix}old`, ours, isOwn)).toEqual({ deleted: true });
    // No current lease: read first, then delete under the holder's lease if it is ours.
    await client.put(`${prefix}c`).value('w').lease(older);
    expect(await deleteIfOurs(kv, `${prefix}c`, undefined, isOwn)).toEqual({ deleted: true });
    expect((await client.getAll().prefix(prefix).keys()).sort()).toEqual([`${prefix}b`]);
  });
});
