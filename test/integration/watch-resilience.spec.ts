import { Etcd3 } from 'etcd3';
import { EtcdServer, startEtcd } from '../support/etcd-launcher';
import { FaultProxy, startFaultProxy } from '../support/fault-proxy';
import { RecordingLogger, RegistryPool, uniquePrefix } from '../support/registry-fixtures';
import { WatchRecorder } from '../support/watch-recorder';
import { freshRead, sameMap } from '../support/registry-probe';
import { waitFor } from '../support/wait-for';

describe('watch resilience (real etcd)', () => {
  let etcd: EtcdServer & { member: NonNullable<EtcdServer['member']> };
  let client: Etcd3;
  let proxy: FaultProxy | undefined;
  const pool = new RegistryPool();

  beforeEach(async () => {
    etcd = await startEtcd();
    client = pool.client(etcd.endpoints);
  });
  afterEach(async () => {
    await pool.closeAll();
    await proxy?.close();
    proxy = undefined;
    await etcd.stop();
  });

  it('survives an etcd restart: changes made afterwards are delivered', async () => {
    const prefix = uniquePrefix();
    const registry = await pool.create(etcd.endpoints);
    const rec = new WatchRecorder();
    await client.put(`${prefix}a`).value('1');
    await registry.addWatch(prefix, rec.handler);
    await etcd.member.kill();
    etcd.member.start();
    await etcd.member.waitHealthy();
    await client.put(`${prefix}b`).value('2');
    await client.delete().key(`${prefix}a`);
    const expected = await freshRead(client, prefix);
    await waitFor(() => sameMap(rec.last, expected), { timeoutMs: 10_000, message: 'watcher exact after restart' });
    expect(rec.last).toEqual({ [`${prefix}b`]: '2' });
  });

  it('delivers the exact map after being cut off while the history was compacted', async () => {
    const prefix = uniquePrefix();
    proxy = await startFaultProxy(etcd.endpoints);
    const logger = new RecordingLogger();
    const registry = await pool.create(proxy.endpoints, { logger });
    const rec = new WatchRecorder();
    for (let i = 0; i < 5; i++) await client.put(`${prefix}k${i}`).value(String(i));
    await registry.addWatch(prefix, rec.handler);
    expect(Object.keys(rec.last!)).toHaveLength(5);

    proxy.cut();
    for (let i = 0; i < 5; i++) await client.delete().key(`${prefix}k${i}`);
    await client.put(`${prefix}k2`).value('again');
    await client.put(`${prefix}new`).value('n');
    const rev = (await client.get(`${prefix}new`).exec()).header.revision;
    await client.kv.compact({ revision: rev, physical: true });
    const callsBefore = rec.maps.length;
    proxy.heal();

    const expected = await freshRead(client, prefix);
    await waitFor(() => sameMap(rec.last, expected), { timeoutMs: 10_000, message: 'exact map after compaction' });
    expect(rec.last).toEqual({ [`${prefix}k2`]: 'again', [`${prefix}new`]: 'n' });
    // The resync is said once it has ended (its new watch started): the map may reach the handler before that.
    await waitFor(() => logger.has('log', /resynced/), { timeoutMs: 10_000, message: 'the resync logged' });
    // One coalesced delivery of the new state, not a replay of every missed event.
    expect(rec.maps.length - callsBefore).toBe(1);
  });
});
