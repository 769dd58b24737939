import { RecordingLogger, withEtcd, uniquePrefix } from '../support/registry-fixtures';
import { waitFor } from '../support/wait-for';

/** Each test here controls the etcd process, so it never uses ETCD_ENDPOINTS. */
describe('lease loss and recovery (real etcd)', () => {
  const t = withEtcd('per-test');

  async function holder(key: string): Promise<{ value: string; lease: string } | undefined> {
    const kv = (await t.client.get(key).exec()).kvs[0];
    return kv && { value: kv.value.toString(), lease: String(kv.lease) };
  }

  it('re-registers every key under a new lease after the lease is revoked from outside', async () => {
    const prefix = uniquePrefix();
    const logger = new RecordingLogger();
    const registry = await t.pool.create(t.etcd.endpoints, { ttlSeconds: 5, logger });
    await registry.register(`${prefix}a/1`, 'one');
    await registry.register(`${prefix}a/2`, 'two');
    const old = registry.leaseId!;
    await t.client.leaseClient.leaseRevoke({ ID: old });
    const revokedAt = Date.now();
    await waitFor(
      async () => {
        const [a, b] = [await holder(`${prefix}a/1`), await holder(`${prefix}a/2`)];
        return a && b && a.lease !== old && a.lease === b.lease && a.lease === registry.leaseId;
      },
      { timeoutMs: 5000, message: 'keys back under a new lease' },
    );
    const recoveryMs = Date.now() - revokedAt;
    expect(recoveryMs).toBeLessThan(5000);
    expect(await holder(`${prefix}a/1`)).toMatchObject({ value: 'one' });
    expect(await holder(`${prefix}a/2`)).toMatchObject({ value: 'two' });
    expect(logger.has('warn', /deleted from etcd|lost/)).toBe(true);
  });

  it('puts back a registered key deleted from outside', async () => {
    const prefix = uniquePrefix();
    const registry = await t.pool.create(t.etcd.endpoints);
    await registry.register(`${prefix}a/1`, 'one');
    await t.client.delete().key(`${prefix}a/1`);
    const back = await waitFor(() => holder(`${prefix}a/1`), { timeoutMs: 5000, message: 'key put back' });
    expect(back).toEqual({ value: 'one', lease: registry.leaseId });
  });

  it('restores every key within 5 s of etcd answering again after a restart without its data', async () => {
    const prefix = uniquePrefix();
    const logger = new RecordingLogger();
    const registry = await t.pool.create(t.etcd.endpoints, { logger });
    await registry.register(`${prefix}a/1`, 'one');
    const old = registry.leaseId;
    await t.etcd.member!.kill();
    t.etcd.member!.wipe();
    t.etcd.member!.start();
    await t.etcd.member!.waitHealthy();
    const upAt = Date.now();
    const back = await waitFor(() => holder(`${prefix}a/1`), { timeoutMs: 5000, message: 'key restored after wipe' });
    expect(Date.now() - upAt).toBeLessThan(5000);
    expect(back.value).toBe('one');
    expect(back.lease).not.toBe('0');
    expect(back.lease).not.toBe(old);
    // The new lease is alive and kept alive.
    const ttl = await t.client.leaseClient.leaseTimeToLive({ ID: back.lease });
    expect(Number(ttl.TTL)).toBeGreaterThan(0);
    await waitFor(() => logger.has('log', /Lease restored/), { timeoutMs: 3000, message: 'restored log line' });
  });

  it('after etcd was unreachable longer than the TTL, takes over its own earlier keys and keeps them alive', async () => {
    const prefix = uniquePrefix();
    const logger = new RecordingLogger();
    const registry = await t.pool.create(t.etcd.endpoints, { ttlSeconds: 2, timeoutMs: 2000, logger });
    await registry.register(`${prefix}a/1`, 'one');
    const old = registry.leaseId!;
    await t.etcd.member!.kill();
    // etcd3 reports the lease lost after 2 x TTL without a keep-alive.
    await waitFor(() => logger.has('warn', new RegExp(`Lease ${old} lost`)), { timeoutMs: 10_000, message: "'lost' reported" });
    t.etcd.member!.start('new');
    await t.etcd.member!.waitHealthy();
    const upAt = Date.now();
    const back = await waitFor(
      async () => {
        const h = await holder(`${prefix}a/1`);
        return h && h.lease !== old && h.lease === registry.leaseId ? h : undefined;
      },
      { timeoutMs: 5000, message: 'key under a new lease' },
    );
    expect(Date.now() - upAt).toBeLessThan(5000);
    expect(back.value).toBe('one');
    expect(logger.has('error', /held by another/)).toBe(false);
    // Still there well after the old lease would have expired: the new one is kept alive.
    const stableUntil = Date.now() + 5000;
    await waitFor(async () => (await holder(`${prefix}a/1`))?.lease === back.lease && Date.now() > stableUntil, {
      timeoutMs: 8000,
      intervalMs: 200,
      message: 'key stays under the new lease',
    });
  });

  it('close() is bounded by timeoutMs while etcd is down', async () => {
    const prefix = uniquePrefix();
    const registry = await t.pool.create(t.etcd.endpoints, { timeoutMs: 1000 });
    await registry.register(`${prefix}a/1`, 'one');
    await registry.addWatch(prefix, () => undefined);
    await t.etcd.member!.kill();
    const started = Date.now();
    await registry.close();
    expect(Date.now() - started).toBeLessThan(1000 + 500);
  });

  it('unregister is bounded by timeoutMs while etcd is down and rejects with a clear error', async () => {
    const prefix = uniquePrefix();
    const registry = await t.pool.create(t.etcd.endpoints, { timeoutMs: 1000 });
    await registry.register(`${prefix}a/1`, 'one');
    await t.etcd.member!.kill();
    const started = Date.now();
    await expect(registry.unregister(`${prefix}a/1`)).rejects.toThrow(/did not answer unregistration of .* within 1000 ms/);
    expect(Date.now() - started).toBeLessThan(1000 + 500);
  });
});
