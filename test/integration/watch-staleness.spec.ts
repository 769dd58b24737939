import { RegistryClosedError, ServiceMap, WatchRemovedError } from '../../lib';
import { startEtcd } from '../support/etcd-launcher';
import { RecordingLogger, RegistryPool, uniquePrefix, withEtcd } from '../support/registry-fixtures';
import { freshRead, sameMap } from '../support/registry-probe';
import { WatchRecorder } from '../support/watch-recorder';
import { waitFor } from '../support/wait-for';

/** "Never silently stale", watch side: status(), ordering, races, stuck handlers, a replaced etcd. */
describe('watch staleness signals and ordering (real etcd)', () => {
  const t = withEtcd('shared');

  it('status() reports each watch: revision of the map, live, handler count', async () => {
    const prefix = uniquePrefix();
    const registry = await t.pool.create(t.etcd.endpoints);
    await t.client.put(`${prefix}a`).value('1');
    await registry.addWatch(prefix, () => undefined);
    await registry.addWatch(prefix, () => undefined);
    const read = await t.client.getAll().prefix(prefix).exec();
    const w = registry.status().watches.find((s) => s.prefix === prefix)!;
    expect(w).toMatchObject({ prefix, live: true, handlers: 2 });
    expect(w.staleSince).toBeUndefined();
    expect(BigInt(w.revision!)).toBeGreaterThanOrEqual(BigInt(read.kvs[0].mod_revision));
    // A change moves the revision to (at least) the change's revision.
    const put = await t.client.put(`${prefix}b`).value('2').exec();
    await waitFor(() => BigInt(registry.status().watches[0].revision!) >= BigInt(put.header.revision), { message: 'revision moved' });
  });

  it('a periodic resync never hands a handler an older map after a newer one', async () => {
    const prefix = uniquePrefix();
    // A large prefix makes each re-read slow to answer, so events newer than the read arrive
    // before it does; a re-read every few ms races a stream of changes.
    const filler = 'x'.repeat(500);
    for (let i = 0; i < 3000; i += 100) {
      await Promise.all(
        Array.from({ length: 100 }, (_, j) =>
          t.client
            .put(`${prefix}fill/${i + j}`)
            .value(filler)
            .exec(),
        ),
      );
    }
    const registry = await t.pool.create(t.etcd.endpoints, { resyncIntervalMs: 5 });
    const seen: number[] = [];
    await t.client.put(`${prefix}counter`).value('0');
    await registry.addWatch(prefix, (m: ServiceMap) => void seen.push(Number(m[`${prefix}counter`])));
    for (let i = 1; i <= 400; i++) await t.client.put(`${prefix}counter`).value(String(i));
    await waitFor(() => seen[seen.length - 1] === 400, { timeoutMs: 20_000, message: 'the last value' });
    const backwards = seen.filter((v, i) => i > 0 && v < seen[i - 1]);
    expect(backwards).toEqual([]);
  });

  it('addWatch racing removeWatch rejects with WatchRemovedError; the handler is never called', async () => {
    const prefix = uniquePrefix();
    const registry = await t.pool.create(t.etcd.endpoints);
    await t.client.put(`${prefix}a`).value('1');
    const rec = new WatchRecorder();
    const adding = registry.addWatch(prefix, rec.handler);
    await registry.removeWatch(prefix);
    await expect(adding).rejects.toBeInstanceOf(WatchRemovedError);
    await expect(adding).rejects.toThrow(/removeWatch\(".*"\) was called while addWatch/);
    expect(rec.maps).toEqual([]);
    expect(registry.status().watches).toEqual([]);
  });

  it('addWatch racing close() rejects with RegistryClosedError; the handler is never called', async () => {
    const prefix = uniquePrefix();
    const registry = await t.pool.create(t.etcd.endpoints);
    const rec = new WatchRecorder();
    const adding = registry.addWatch(prefix, rec.handler);
    await registry.close();
    await expect(adding).rejects.toBeInstanceOf(RegistryClosedError);
    expect(rec.maps).toEqual([]);
  });

  it('a handler that never settles: addWatch resolves after handlerTimeoutMs, it is logged by name, other handlers keep getting maps', async () => {
    const prefix = uniquePrefix();
    const logger = new RecordingLogger();
    const registry = await t.pool.create(t.etcd.endpoints, { logger, handlerTimeoutMs: 300 });
    let stuckCalls = 0;
    const t0 = Date.now();
    await registry.addWatch(prefix, function stuckHandler() {
      stuckCalls++;
      return new Promise<void>(() => undefined);
    });
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(3000);
    expect(logger.has('error', new RegExp(`stuckHandler on "${prefix}" has not returned after 300 ms`))).toBe(true);
    const rec = new WatchRecorder();
    await registry.addWatch(prefix, rec.handler);
    await t.client.put(`${prefix}a`).value('1');
    await waitFor(() => rec.last?.[`${prefix}a`] === '1', { message: 'the other handler to get the change' });
    // The stuck handler is not called again while its first call hangs (calls never overlap).
    expect(stuckCalls).toBe(1);
  });
});

describe('an etcd replaced by an empty one on the same endpoint (revisions start over)', () => {
  it('the registry notices, re-guards its keys (a key deleted from outside is put back) and its watches read afresh', async () => {
    const etcd = await startEtcd();
    const pool = new RegistryPool();
    try {
      const client = pool.client(etcd.endpoints);
      const prefix = uniquePrefix('wipe');
      const logger = new RecordingLogger();
      const registry = await pool.create(etcd.endpoints, { ttlSeconds: 2, logger });
      // Push the old revision well above what the new etcd will reach.
      for (let i = 0; i < 50; i++) await client.put(`/churn/${i}`).value('x');
      await registry.register(`${prefix}me`, 'ME');
      const rec = new WatchRecorder();
      await registry.addWatch(prefix, rec.handler);
      const oldRevision = BigInt((await client.get(`${prefix}me`).exec()).header.revision);

      await etcd.member.kill();
      etcd.member.wipe();
      etcd.member.start();
      await etcd.member.waitHealthy();

      // Re-registered (the lease is unknown to the new etcd) and the watch back on the new data.
      await waitFor(async () => (await freshRead(client, prefix))[`${prefix}me`] === 'ME', {
        timeoutMs: 15_000,
        message: 'key re-registered',
      });
      // The ownership guard watches the new etcd: a delete from outside is undone.
      await client.delete().key(`${prefix}me`);
      await waitFor(async () => (await freshRead(client, prefix))[`${prefix}me`] === 'ME', {
        timeoutMs: 10_000,
        message: 'key deleted from outside put back after the wipe',
      });
      // And the watch sees changes on the new etcd.
      await client.put(`${prefix}other`).value('O');
      const expected = await freshRead(client, prefix);
      await waitFor(() => sameMap(rec.last, expected), { timeoutMs: 10_000, message: 'watcher exact on the new etcd' });
      const w = registry.status().watches[0];
      expect(w.live).toBe(true);
      expect(BigInt(w.revision!)).toBeLessThan(oldRevision);
      expect(logger.has('warn', /new cluster \(revision went back/)).toBe(true);
    } finally {
      await pool.closeAll();
      await etcd.stop();
    }
  });
});
