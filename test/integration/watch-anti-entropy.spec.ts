import { Registry as PromRegistry } from 'prom-client';
import type { EtcdRegistry, RegistryEvent } from '../../lib/core';
import type { PrefixWatcher } from '../../lib/core/watch/prefix-watcher';
import { registerPrometheusMetrics } from '../../lib/prometheus';
import { RecordingLogger, uniquePrefix, withEtcd } from '../support/registry-fixtures';
import { expectConverged } from '../support/registry-probe';
import { WatchRecorder } from '../support/watch-recorder';
import { waitFor } from '../support/wait-for';

/** The registry's watcher of `prefix` (to make its map drift behind its back: there is no other way to). */
function watcherOf(registry: EtcdRegistry, prefix: string): PrefixWatcher {
  return (registry as unknown as { watches: Map<string, { watcher: PrefixWatcher }> }).watches.get(prefix)!.watcher;
}

/** etcd's count of Range requests it has handled (its /metrics). */
async function rangeRequests(endpoint: string): Promise<number> {
  const text = await (await fetch(`http://${endpoint}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('grpc_server_handled_total{') && l.includes('grpc_method="Range"'))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

function resyncCount(text: string, prefix: string, kind: string): number {
  const line = text
    .split('\n')
    .find((l) => l.startsWith('etcd_registry_watch_resyncs_total{') && l.includes(`prefix="${prefix}"`) && l.includes(`kind="${kind}"`));
  return line ? Number(line.split(' ').pop()) : 0;
}

/** Anti-entropy, on by default, finds and repairs a map that drifted from etcd. */
describe('watch anti-entropy (real etcd)', () => {
  const t = withEtcd('shared');

  async function setUp(antiEntropyIntervalMs: number) {
    const prefix = uniquePrefix('drift');
    const logger = new RecordingLogger();
    const registry = await t.pool.create(t.etcd.endpoints, { logger, antiEntropyIntervalMs });
    const events: RegistryEvent[] = [];
    registry.events.on((e) => void events.push(e));
    for (const k of ['a', 'b', 'c']) await t.client.put(`${prefix}${k}`).value(k.toUpperCase());
    const rec = new WatchRecorder();
    await registry.addWatch(prefix, rec.handler);
    await expectConverged(rec, t.client, prefix);
    return { prefix, logger, registry, events, rec, watcher: watcherOf(registry, prefix) };
  }

  it('a key missing from the map is found within the interval: resync, a warning, watch-resynced (drift) and the metric', async () => {
    const { prefix, logger, registry, events, rec, watcher } = await setUp(500);
    const prom = new PromRegistry();
    const handle = await registerPrometheusMetrics(registry, { register: prom });
    try {
      // The map loses a key behind the watch's back (what a lost catch-up batch did).
      watcher.state.delete(`${prefix}b`);
      const droppedAt = Date.now();
      const resynced = await waitFor(() => events.find((e) => e.type === 'watch-resynced'), { timeoutMs: 5000, message: 'watch-resynced' });
      expect(Date.now() - droppedAt).toBeLessThan(500 + 2000);
      expect(resynced).toMatchObject({ prefix, kind: 'drift', size: 3 });
      expect(resynced.type === 'watch-resynced' && resynced.reason).toMatch(/^drift: the map had 2 key\(s\).*; etcd had 3/);
      expect(
        logger.has('warn', new RegExp(`Watch on "${prefix.replace(/[/-]/g, '\\$&')}" drifted from etcd \\(drift: the map had 2 key`)),
      ).toBe(true);
      await expectConverged(rec, t.client, prefix);
      expect(rec.last?.[`${prefix}b`]).toBe('B');
      expect(resyncCount(await prom.metrics(), prefix, 'drift')).toBe(1);
      expect(registry.status().watches[0]).toMatchObject({ live: true });
    } finally {
      await handle.close();
    }
  });

  it('a newest write the map missed (same key count) is found by the newest revision, and repaired', async () => {
    const { prefix, events, rec, watcher } = await setUp(300);
    // The map keeps an older value of the newest key, as if its last update had been lost.
    const newest = (await t.client.get(`${prefix}c`).exec()).kvs[0];
    watcher.state.put(`${prefix}c`, 'old', String(BigInt(newest.mod_revision) - 1n));
    const resynced = await waitFor(() => events.find((e) => e.type === 'watch-resynced'), { timeoutMs: 5000, message: 'watch-resynced' });
    expect(resynced).toMatchObject({ prefix, kind: 'drift' });
    expect(resynced.type === 'watch-resynced' && resynced.reason).toMatch(
      /^drift: the map had 3 key\(s\), newest revision \d+; etcd had 3/,
    );
    // The handler (which never saw 'old': the test bypassed delivery) still has the right map, and the watch goes on.
    await t.client.put(`${prefix}d`).value('D');
    await expectConverged(rec, t.client, prefix);
  });

  it('at rest (writes elsewhere, same-value re-puts, a compaction past the map) it checks and says nothing', async () => {
    const { prefix, logger, events, watcher } = await setUp(100);
    // Writes outside the prefix move etcd's revision past the map's; a same-value re-put moves only a key's revision.
    for (let i = 0; i < 20; i++) await t.client.put(`${uniquePrefix('elsewhere')}x`).value(String(i));
    await t.client.put(`${prefix}a`).value('A');
    const current = (await t.client.get(`${prefix}a`).exec()).header.revision;
    await waitFor(() => watcher.status().revision === String(current), { message: "the re-put's revision applied" });
    for (let i = 0; i < 5; i++) await t.client.put(`${uniquePrefix('elsewhere')}x`).value(String(i));
    // The map's revision is compacted: the check reads at etcd's current revision, finds the same, and says nothing.
    const head = (await t.client.get('/nothing').exec()).header.revision;
    await t.client.kv.compact({ revision: head, physical: true });
    expect(BigInt(watcher.status().revision!)).toBeLessThan(BigInt(head));
    // (A periodic check may be running: this one then makes no verdict; ask until one does.)
    expect(await waitFor(() => watcher.checkDrift(), { message: 'a verdict' })).toBe('same');
    const before = await rangeRequests(t.etcd.endpoints[0]);
    // At least ten periodic checks later (each is one Range request) nothing was said.
    await waitFor(async () => (await rangeRequests(t.etcd.endpoints[0])) >= before + 10, { message: 'ten checks' });
    expect(events.filter((e) => e.type === 'watch-resynced')).toEqual([]);
    expect(logger.lines.filter((l) => l.level === 'warn')).toEqual([]);
  });

  it('antiEntropyIntervalMs 0 turns the check off', async () => {
    const { prefix, events, watcher } = await setUp(0);
    watcher.state.delete(`${prefix}b`);
    // The watch itself is fine: a later change is delivered, and nothing repairs the lost key.
    await t.client.put(`${prefix}d`).value('D');
    await waitFor(() => watcher.state.snapshot().map[`${prefix}d`] === 'D', { message: 'the later change' });
    expect(events.filter((e) => e.type === 'watch-resynced')).toEqual([]);
    expect(watcher.state.snapshot().map[`${prefix}b`]).toBeUndefined();
  });
});
