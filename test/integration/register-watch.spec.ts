import { withEtcd, uniquePrefix } from '../support/registry-fixtures';
import { WatchRecorder } from '../support/watch-recorder';
import { freshRead } from '../support/registry-probe';
import { waitFor } from '../support/wait-for';

describe('register and watch against a real etcd', () => {
  const t = withEtcd('shared');

  it('register resolves once the key is in etcd under the registry lease', async () => {
    const prefix = uniquePrefix();
    const registry = await t.pool.create(t.etcd.endpoints);
    await registry.register(`${prefix}user/1`, '10.0.0.1:3000');
    const kv = (await t.client.get(`${prefix}user/1`).exec()).kvs[0];
    expect(kv.value.toString()).toBe('10.0.0.1:3000');
    expect(kv.lease).toBe(registry.leaseId);
    expect(kv.lease).not.toBe('0');
  });

  it('shares one lease between all keys of a registry', async () => {
    const prefix = uniquePrefix();
    const registry = await t.pool.create(t.etcd.endpoints);
    for (let i = 0; i < 5; i++) await registry.register(`${prefix}svc/${i}`, `v${i}`);
    const res = await t.client.getAll().prefix(prefix).exec();
    expect(res.kvs).toHaveLength(5);
    expect(new Set(res.kvs.map((kv) => kv.lease)).size).toBe(1);
    const leases = await t.client.leaseClient.leaseLeases({});
    const ours = leases.leases.filter((l) => l.ID === registry.leaseId);
    expect(ours).toHaveLength(1);
  });

  it('delivers the full map first, then a new map after each change, none when nothing changed', async () => {
    const prefix = uniquePrefix();
    await t.client.put(`${prefix}a/1`).value('one');
    const registry = await t.pool.create(t.etcd.endpoints);
    const rec = new WatchRecorder();
    await registry.addWatch(prefix, rec.handler);
    expect(rec.maps).toEqual([{ [`${prefix}a/1`]: 'one' }]);

    await t.client.put(`${prefix}a/2`).value('two');
    await waitFor(() => rec.maps.length === 2, { message: 'second delivery' });
    expect(rec.last).toEqual({ [`${prefix}a/1`]: 'one', [`${prefix}a/2`]: 'two' });

    // Same value again: no change, so no call; then a real change.
    await t.client.put(`${prefix}a/2`).value('two');
    await t.client.delete().key(`${prefix}a/1`);
    await waitFor(() => rec.maps.length >= 3, { message: 'third delivery' });
    expect(rec.maps).toHaveLength(3);
    expect(rec.last).toEqual({ [`${prefix}a/2`]: 'two' });
    expect(Object.isFrozen(rec.last)).toBe(true);
    expect(rec.maps[1]).not.toBe(rec.maps[2]);
    expect(rec.last).toEqual(await freshRead(t.client, prefix));
  });

  it('unregister deletes the key and revokes the lease once no key is left (after leaseLingerMs)', async () => {
    const prefix = uniquePrefix();
    const registry = await t.pool.create(t.etcd.endpoints, { leaseLingerMs: 300 });
    await registry.register(`${prefix}a/1`, 'x');
    await registry.register(`${prefix}a/2`, 'y');
    const lease = registry.leaseId!;
    await registry.unregister(`${prefix}a/1`);
    expect(await freshRead(t.client, prefix)).toEqual({ [`${prefix}a/2`]: 'y' });
    await registry.unregister(`${prefix}a/2`);
    expect(await freshRead(t.client, prefix)).toEqual({});
    await waitFor(async () => (await t.client.leaseClient.leaseTimeToLive({ ID: lease })).TTL === '-1', {
      timeoutMs: 5000,
      message: 'the lease revoked once it lingered 300 ms without a key',
    });
  });

  it('close unregisters everything and is idempotent', async () => {
    const prefix = uniquePrefix();
    const registry = await t.pool.create(t.etcd.endpoints);
    await registry.register(`${prefix}a/1`, 'x');
    await registry.register(`${prefix}b/1`, 'y');
    await Promise.all([registry.close(), registry.close()]);
    expect(await freshRead(t.client, prefix)).toEqual({});
    await expect(registry.register(`${prefix}a/1`, 'x')).rejects.toThrow(/closed/);
  });

  it('applies the namespace to every key and hands maps over without it', async () => {
    const prefix = uniquePrefix();
    const registry = await t.pool.create(t.etcd.endpoints, { namespace: '/prod' });
    const rec = new WatchRecorder();
    await registry.addWatch(prefix, rec.handler);
    await registry.register(`${prefix}a/1`, 'x');
    expect(await t.client.get(`/prod${prefix}a/1`).string()).toBe('x');
    expect(await t.client.get(`${prefix}a/1`).string()).toBeNull();
    await waitFor(() => rec.last?.[`${prefix}a/1`] === 'x', { message: 'namespaced key delivered' });
    expect(await registry.getServices(prefix)).toEqual({ [`${prefix}a/1`]: 'x' });
  });

  it('re-reads watched prefixes every resyncIntervalMs when asked to', async () => {
    if (process.env.ETCD_ENDPOINTS) return; // counts this etcd's Range requests
    const prefix = uniquePrefix();
    const ranges = async () => {
      const text = await (await fetch(`http://${t.etcd.endpoints[0]}/metrics`)).text();
      const line = text
        .split('\n')
        .find((l) => l.startsWith('grpc_server_handled_total') && l.includes('grpc_method="Range"') && l.includes('grpc_code="OK"'));
      return Number(line?.split(' ')[1] ?? 0);
    };
    const registry = await t.pool.create(t.etcd.endpoints, { resyncIntervalMs: 100 });
    await registry.addWatch(prefix, () => undefined);
    const before = await ranges();
    await waitFor(async () => (await ranges()) >= before + 3, { timeoutMs: 5000, message: 'periodic re-reads' });
  });
});
