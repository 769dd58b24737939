import { ServiceMap } from '../../lib';
import { RecordingLogger, withEtcd, uniquePrefix } from '../support/registry-fixtures';
import { WatchRecorder } from '../support/watch-recorder';
import { freshRead, sameMap } from '../support/registry-probe';
import { waitFor } from '../support/wait-for';

async function etcdWatcherCount(endpoint: string): Promise<number> {
  const text = await (await fetch(`http://${endpoint}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('etcd_debugging_mvcc_watcher_total'));
  if (!line) throw new Error('etcd_debugging_mvcc_watcher_total not in /metrics');
  return Number(line.split(' ')[1]);
}

/**
 * etcd's watcher count once it has stopped moving: the watches of earlier tests on this etcd are
 * cancelled without waiting (cancel() can hang while etcd is unreachable), so they may still be
 * going away when a test starts.
 */
async function settledWatcherCount(endpoint: string): Promise<number> {
  let last = await etcdWatcherCount(endpoint);
  await waitFor(
    async () => {
      const now = await etcdWatcherCount(endpoint);
      const settled = now === last;
      last = now;
      return settled;
    },
    { intervalMs: 250, message: 'etcd watcher count to settle' },
  );
  return last;
}

describe('watch guarantees (real etcd)', () => {
  const t = withEtcd('shared');

  it('loses no event written while the first read and the watch are being set up', async () => {
    const prefix = uniquePrefix();
    const registry = await t.pool.create(t.etcd.endpoints);
    const rec = new WatchRecorder();
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing && i < 400; i++) await t.client.put(`${prefix}k/${i}`).value(String(i));
    })();
    // Start watching while the writer runs, so writes land before, during and after the set-up.
    await waitFor(async () => Object.keys(await freshRead(t.client, prefix)).length >= 20, { message: 'writer started' });
    await registry.addWatch(prefix, rec.handler);
    await writer;
    writing = false;
    const expected = await freshRead(t.client, prefix);
    await waitFor(() => sameMap(rec.last, expected), { message: 'watcher exact' });
    expect(rec.last).toEqual(expected);
    // Maps only ever grow here: a smaller one after a bigger one would be an older state.
    for (let i = 1; i < rec.maps.length; i++) {
      expect(Object.keys(rec.maps[i]).length).toBeGreaterThanOrEqual(Object.keys(rec.maps[i - 1]).length);
    }
  });

  it('never overlaps calls to one handler and coalesces changes into the latest map', async () => {
    const prefix = uniquePrefix();
    const registry = await t.pool.create(t.etcd.endpoints);
    let running = 0;
    let maxRunning = 0;
    const seen: ServiceMap[] = [];
    let release!: () => void;
    let gate: Promise<void> = Promise.resolve();
    await registry.addWatch(prefix, async (map) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      seen.push(map);
      await gate;
      running--;
    });
    gate = new Promise((r) => (release = r));
    await t.client.put(`${prefix}k/0`).value('0');
    await waitFor(() => seen.length === 2, { message: 'handler blocked in its second call' });
    for (let i = 1; i <= 20; i++) await t.client.put(`${prefix}k/${i}`).value(String(i));
    // Give the watch time to deliver all 20 events while the handler is still blocked.
    await waitFor(async () => (await freshRead(t.client, prefix))[`${prefix}k/20`] === '20', { message: 'writes done' });
    const expected = await freshRead(t.client, prefix);
    release();
    await waitFor(() => sameMap(seen[seen.length - 1], expected), { message: 'latest map delivered' });
    expect(maxRunning).toBe(1);
    // 1 initial + 1 blocked + the coalesced rest: far fewer than the 21 changes.
    expect(seen.length).toBeLessThanOrEqual(4);
  });

  it('shares one etcd watch between handlers of a prefix; removeWatch stops all of them', async () => {
    if (process.env.ETCD_ENDPOINTS) return; // needs this etcd's /metrics to itself
    const prefix = uniquePrefix();
    const registry = await t.pool.create(t.etcd.endpoints);
    const before = await settledWatcherCount(t.etcd.endpoints[0]);
    const recs = Array.from({ length: 5 }, () => new WatchRecorder());
    for (const rec of recs) await registry.addWatch(prefix, rec.handler);
    // The etcd watch is created right after the first read: wait for it, then check it stays one.
    await waitFor(async () => (await etcdWatcherCount(t.etcd.endpoints[0])) > before, { message: 'etcd watch created' });
    await t.client.put(`${prefix}a`).value('1');
    await waitFor(() => recs.every((r) => r.maps.length === 2), { message: 'every handler called' });
    expect(await etcdWatcherCount(t.etcd.endpoints[0])).toBe(before + 1);
    await registry.removeWatch(prefix);
    await waitFor(async () => (await etcdWatcherCount(t.etcd.endpoints[0])) === before, { message: 'etcd watch cancelled' });
    await t.client.put(`${prefix}b`).value('2');
    await t.client.put(`${prefix}c`).value('3');
    // A fresh watcher proves the events went out; the removed handlers got none of them.
    const probe = new WatchRecorder();
    await registry.addWatch(prefix, probe.handler);
    expect(Object.keys(probe.last!)).toHaveLength(3);
    expect(recs.every((r) => r.maps.length === 2)).toBe(true);
  });

  it('isolates a throwing handler: it is logged, other handlers and later deliveries go on', async () => {
    const prefix = uniquePrefix();
    const logger = new RecordingLogger();
    const registry = await t.pool.create(t.etcd.endpoints, { logger });
    let calls = 0;
    await registry.addWatch(prefix, async function failingHandler() {
      calls++;
      throw new Error('boom');
    });
    const rec = new WatchRecorder();
    await registry.addWatch(prefix, rec.handler);
    await t.client.put(`${prefix}a`).value('1');
    await t.client.put(`${prefix}b`).value('2');
    await waitFor(() => rec.last && Object.keys(rec.last).length === 2, { message: 'healthy handler up to date' });
    await waitFor(() => calls >= 2, { message: 'failing handler called again' });
    expect(logger.has('error', /failingHandler .* failed: boom/)).toBe(true);
  });

  it('lets a handler call removeWatch or close without deadlock', async () => {
    const prefix = uniquePrefix();
    const registry = await t.pool.create(t.etcd.endpoints);
    let removed = false;
    await registry.addWatch(prefix, async () => {
      await registry.removeWatch(prefix);
      removed = true;
    });
    await waitFor(() => removed, { timeoutMs: 3000, message: 'handler returned from removeWatch' });
    const other = await t.pool.create(t.etcd.endpoints);
    await other.register(`${prefix}x`, '1');
    let closed = false;
    await other.addWatch(prefix, async () => {
      await other.close();
      closed = true;
    });
    await waitFor(() => closed, { timeoutMs: 3000, message: 'handler returned from close' });
    expect(await freshRead(t.client, prefix)).toEqual({});
  });

  it('rejects a prefix without a trailing slash', async () => {
    const registry = await t.pool.create(t.etcd.endpoints);
    await expect(registry.addWatch('/services/pay', () => undefined)).rejects.toThrow(/must end with "\/".*"\/services\/pay\/"/);
  });

  it('hands values that are not UTF-8 over as strings without crashing', async () => {
    const prefix = uniquePrefix();
    const registry = await t.pool.create(t.etcd.endpoints);
    const rec = new WatchRecorder();
    await registry.register(`${prefix}ours`, 'ok');
    await registry.addWatch(prefix, rec.handler);
    await t.client.put(`${prefix}odd`).value(Buffer.from([0xff, 0xfe, 0x00, 0xc3]));
    await waitFor(() => rec.last && `${prefix}odd` in rec.last, { message: 'odd value delivered' });
    expect(typeof rec.last![`${prefix}odd`]).toBe('string');
    expect(rec.last![`${prefix}ours`]).toBe('ok');
  });

  it('addWatch rejects within timeoutMs when etcd is unreachable', async () => {
    const registry = await t.pool.create(['127.0.0.1:9'], { timeoutMs: 800 });
    const started = Date.now();
    await expect(registry.addWatch('/services/', () => undefined)).rejects.toThrow(/127\.0\.0\.1:9 did not answer read of prefix/);
    expect(Date.now() - started).toBeLessThan(800 + 700);
  });
});
