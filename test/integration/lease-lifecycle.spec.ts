import { EtcdLeaseInvalidError } from 'etcd3';
import { resolveRegistryOptions } from '../../lib/core';
import { monotonicNow } from '../../lib/core/deadline';
import { LeaseLifecycle } from '../../lib/core/lease/lease-lifecycle';
import { RecordingLogger, withEtcd } from '../support/registry-fixtures';
import { waitFor } from '../support/wait-for';

/** The lease lifecycle (lib/core/lease/lease-lifecycle.ts) on its own, against a real etcd. */
describe('lease lifecycle (real etcd)', () => {
  const t = withEtcd('per-test');
  const made: LeaseLifecycle[] = [];
  afterEach(async () => {
    await Promise.all(made.splice(0).map((l) => l.close(0)));
  });

  function lifecycle(ttlSeconds = 5) {
    const lost: { id: string; cause: unknown }[] = [];
    const logger = new RecordingLogger();
    const options = resolveRegistryOptions({ endpoints: t.etcd.endpoints, ttlSeconds, timeoutMs: 2000, logger });
    const l = new LeaseLifecycle(t.client.namespace(''), options, (id, cause) => lost.push({ id, cause }));
    made.push(l);
    return { l, lost, logger };
  }
  const leaseIds = async () => (await t.client.leaseClient.leaseLeases()).leases.map((x) => String(x.ID));

  it('grants one lease for concurrent callers and reports it in status()', async () => {
    const { l } = lifecycle(7);
    const ids = await Promise.all([l.acquire(), l.acquire(), l.acquire()]);
    expect(new Set(ids).size).toBe(1);
    expect(await leaseIds()).toEqual([ids[0]]);
    expect(l.status()).toMatchObject({ id: ids[0], ttlSeconds: 7 });
    expect(l.isOwn(ids[0])).toBe(true);
  });

  it('records every successful keep-alive', async () => {
    const { l } = lifecycle(2);
    await l.acquire();
    const first = l.status()!.lastKeepAliveAt!;
    await waitFor(() => l.status()!.lastKeepAliveAt! > first, { timeoutMs: 3000, message: 'keep-alive (every TTL / 3)' });
  });

  it('reports a lease revoked from outside as lost at its next keep-alive, as an EtcdLeaseInvalidError', async () => {
    const { l, lost } = lifecycle(2);
    const id = await l.acquire();
    await t.client.leaseClient.leaseRevoke({ ID: id });
    await waitFor(() => lost.length === 1, { timeoutMs: 3000, message: "'lost'" });
    expect(lost[0].id).toBe(id);
    expect(lost[0].cause).toBeInstanceOf(EtcdLeaseInvalidError);
    expect(l.id).toBeUndefined();
    expect(l.isOwn(id)).toBe(true);
    expect(await l.acquire()).not.toBe(id);
  });

  it('invalidate(): a write that found the lease gone drops it at once, and only the lease it names', async () => {
    const { l, lost } = lifecycle(3600);
    const id = await l.acquire();
    l.invalidate('12345', new Error('other'));
    expect(l.id).toBe(id);
    l.invalidate(id, new EtcdLeaseInvalidError(id));
    expect(lost.map((x) => x.id)).toEqual([id]);
    expect(l.id).toBeUndefined();
  });

  it('revoke() deletes the lease; close() waits for a grant in flight and revokes it', async () => {
    const { l } = lifecycle();
    await l.acquire();
    await l.revoke(monotonicNow() + 2000);
    expect(await leaseIds()).toEqual([]);
    const { l: other } = lifecycle();
    const granting = other.acquire().catch((e: unknown) => e);
    await other.close(0);
    await granting;
    expect(await leaseIds()).toEqual([]);
    await expect(other.acquire()).rejects.toThrow(/closed/);
  });
});
