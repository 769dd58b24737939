import { RegistryEvent, RegistryEventType } from '../../lib';
import { FaultProxy, startFaultProxy } from '../support/fault-proxy';
import { uniquePrefix, withEtcd } from '../support/registry-fixtures';
import { waitFor } from '../support/wait-for';

/** Collects a registry's events. */
function recordEvents(registry: { events: { on(fn: (e: RegistryEvent) => void): () => void } }) {
  const events: RegistryEvent[] = [];
  registry.events.on((e) => void events.push(e));
  const of = <T extends RegistryEventType>(type: T) => events.filter((e): e is Extract<RegistryEvent, { type: T }> => e.type === type);
  return { events, of };
}

/** The core's events, each provoked for real. */
describe('registry events (real etcd)', () => {
  const t = withEtcd('shared');
  let proxy: FaultProxy | undefined;
  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
  });

  it('registered, unregistered, delivered and a handler error, in order, with their details', async () => {
    const prefix = uniquePrefix();
    const registry = await t.pool.create(t.etcd.endpoints);
    const rec = recordEvents(registry);
    let calls = 0;
    await registry.addWatch(prefix, async function flakyHandler() {
      calls++;
      await new Promise((r) => setTimeout(r, 5));
      if (calls === 2) throw new Error('boom');
    });
    await registry.register(`${prefix}a`, '10.0.0.1:1');
    await waitFor(() => calls >= 2, { message: 'the second call' });
    await registry.unregister(`${prefix}a`);
    await waitFor(() => calls >= 3 && rec.of('delivered').length >= 2, { message: 'the third call and two deliveries' });
    // The call that threw is an error, not a delivery: 3 calls, 2 delivered.
    expect(rec.of('delivered')).toHaveLength(2);

    expect(rec.of('registered')).toEqual([expect.objectContaining({ path: `${prefix}a`, lease: registry.leaseId ?? expect.any(String) })]);
    expect(rec.of('unregistered')).toEqual([expect.objectContaining({ path: `${prefix}a` })]);
    const errors = rec.of('error');
    expect(errors).toEqual([
      expect.objectContaining({ source: 'handler', subject: prefix, message: expect.stringMatching(/flakyHandler.*boom/) }),
    ]);
    for (const d of rec.of('delivered')) {
      expect(d.prefix).toBe(prefix);
      // The handler sleeps 5 ms: a latency that excluded the handler's own time would be below it.
      expect(d.latencyMs).toBeGreaterThanOrEqual(4);
      expect(d.latencyMs).toBeLessThan(2000);
    }
    expect(rec.events.every((e) => typeof e.at === 'number' && Object.isFrozen(e))).toBe(true);
    const order = rec.events.filter((e) => e.type === 'registered' || e.type === 'unregistered').map((e) => e.type);
    expect(order).toEqual(['registered', 'unregistered']);
  });

  it('lease lost, then restored, when the lease is revoked from outside', async () => {
    const prefix = uniquePrefix();
    const registry = await t.pool.create(t.etcd.endpoints, { ttlSeconds: 5 });
    const rec = recordEvents(registry);
    await registry.register(`${prefix}a`, 'one');
    await registry.register(`${prefix}b`, 'two');
    const old = registry.leaseId!;
    await t.client.leaseClient.leaseRevoke({ ID: old });
    await waitFor(() => rec.of('lease-restored').length > 0, { timeoutMs: 8000, message: 'a lease-restored event' });
    const lost = rec.of('lease-lost');
    expect(lost).toEqual([expect.objectContaining({ lease: old, keys: 2 })]);
    const [restored] = rec.of('lease-restored');
    expect(restored).toMatchObject({ lease: registry.leaseId, keys: 2 });
    expect(restored.lease).not.toBe(old);
    expect(restored.at).toBeGreaterThanOrEqual(lost[0].at);
    // registered is for first writes only: the restoration is not reported as two new registrations.
    expect(rec.of('registered')).toHaveLength(2);
  });

  it('watch stale when the link to etcd is cut, live again and resynced (exact map) when it heals', async () => {
    const prefix = uniquePrefix();
    proxy = await startFaultProxy(t.etcd.endpoints);
    const registry = await t.pool.create(proxy.endpoints, { timeoutMs: 1500 });
    const rec = recordEvents(registry);
    await t.client.put(`${prefix}a`).value('1');
    await registry.addWatch(prefix, () => undefined);
    expect(rec.of('watch-stale')).toEqual([]);

    const cutAt = Date.now();
    proxy.cut();
    const [stale] = await waitFor(() => (rec.of('watch-stale').length > 0 ? rec.of('watch-stale') : undefined), {
      timeoutMs: 10_000,
      message: 'watch-stale',
    });
    expect(stale).toMatchObject({ prefix, reason: expect.any(String) });
    expect(stale.at).toBeGreaterThanOrEqual(cutAt);
    expect(registry.status().watches[0]).toMatchObject({ live: false });
    // A change made meanwhile: the resync after the heal brings it.
    await t.client.put(`${prefix}b`).value('2');
    const healedAt = Date.now();
    proxy.heal();
    const [live] = await waitFor(() => (rec.of('watch-live').length > 0 ? rec.of('watch-live') : undefined), {
      timeoutMs: 10_000,
      message: 'watch-live',
    });
    expect(live.prefix).toBe(prefix);
    expect(live.staleMs).toBeGreaterThanOrEqual(healedAt - stale.at - 50);
    const [resynced] = await waitFor(() => (rec.of('watch-resynced').length > 0 ? rec.of('watch-resynced') : undefined), {
      message: 'watch-resynced',
    });
    expect(resynced).toMatchObject({ prefix, size: 2 });
    expect(rec.of('watch-stale')).toHaveLength(1);
    expect(registry.status().watches[0]).toMatchObject({ live: true });
  });

  it('a throwing listener breaks neither the registry nor the other listeners', async () => {
    const prefix = uniquePrefix();
    const registry = await t.pool.create(t.etcd.endpoints);
    registry.events.on(() => {
      throw new Error('listener bug');
    });
    const rec = recordEvents(registry);
    await registry.register(`${prefix}a`, 'one');
    expect(rec.of('registered')).toHaveLength(1);
    expect(await t.client.get(`${prefix}a`).string()).toBe('one');
  });

  it('on(listener, types) filters, and the returned function unsubscribes', async () => {
    const prefix = uniquePrefix();
    const registry = await t.pool.create(t.etcd.endpoints);
    const seen: string[] = [];
    const off = registry.events.on((e) => void seen.push(e.type), ['unregistered']);
    await registry.register(`${prefix}a`, 'one');
    await registry.unregister(`${prefix}a`);
    off();
    await registry.register(`${prefix}b`, 'two');
    await registry.unregister(`${prefix}b`);
    expect(seen).toEqual(['unregistered']);
  });
});
