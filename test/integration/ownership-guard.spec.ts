import { scrapeMetrics } from '../../bench/etcd-metrics';
import { OwnershipGuard } from '../../lib/core/lease/ownership-guard';
import { RecordingLogger, uniquePrefix, withEtcd } from '../support/registry-fixtures';
import { waitFor } from '../support/wait-for';

/** The ownership guard (lib/core/lease/ownership-guard.ts) with a recording host, against a real etcd. */
describe('ownership guard (real etcd)', () => {
  const t = withEtcd('per-test');
  const guards: OwnershipGuard[] = [];
  afterEach(() => guards.splice(0).forEach((g) => g.close()));

  function guarded(ownLeases: string[]) {
    const confirmed = new Map<string, bigint>();
    const seen: string[] = [];
    const host = {
      confirmedAt: (p: string) => confirmed.get(p),
      paths: () => [...confirmed.keys()],
      isOwn: (l: string) => ownLeases.includes(l),
      onDeleted: (p: string) => seen.push(`deleted ${p}`),
      onTaken: (p: string, l: string) => seen.push(`taken ${p} ${l}`),
      onGap: (r: string) => seen.push(`gap ${r}`),
    };
    const guard = new OwnershipGuard(t.client.namespace(''), host, new RecordingLogger());
    guards.push(guard);
    /** Writes `paths` under `lease` and covers them, as the keeper does. */
    const register = async (lease: string, ...paths: string[]) => {
      let rev = '0';
      for (const p of paths) rev = (await t.client.put(p).value('v').lease(lease).exec()).header.revision;
      for (const p of paths) confirmed.set(p, BigInt(rev));
      guard.cover(paths, rev);
    };
    return { guard, seen, register, confirmed };
  }
  const watchers = async () => (await scrapeMetrics(Number(t.etcd.endpoints[0].split(':')[1]))).watchers;

  it('one watch over the common prefix; reports deletes and foreign puts of registered keys only', async () => {
    const lease = await t.client.lease(30, { autoKeepAlive: false }).grant();
    const foreign = await t.client.lease(30, { autoKeepAlive: false }).grant();
    const { guard, seen, register } = guarded([lease]);
    const p = uniquePrefix();
    await register(lease, `${p}a/1`, `${p}a/2`, `${p}b/1`);
    await waitFor(() => guard.prefixes[0] === p, { message: 'one range over the common prefix' });
    expect(guard.prefixes).toEqual([p]);
    await waitFor(async () => (await watchers()) === 1, { message: 'one etcd watcher' });
    await t.client.put(`${p}a/3`).value('not ours, not registered');
    await t.client.delete().key(`${p}a/3`);
    await t.client.put(`${p}a/1`).value('ours again').lease(lease);
    await t.client.delete().key(`${p}a/2`);
    await t.client.put(`${p}b/1`).value('taken').lease(foreign);
    await waitFor(() => seen.length >= 2, { message: 'events' });
    expect(seen).toEqual([`deleted ${p}a/2`, `taken ${p}b/1 ${foreign}`]);
  });

  it('widening to a key outside the prefix re-creates the watch from where the old one stopped: nothing missed', async () => {
    const lease = await t.client.lease(30, { autoKeepAlive: false }).grant();
    const { guard, seen, register } = guarded([lease]);
    const p = uniquePrefix();
    await register(lease, `${p}x/1`);
    expect(guard.prefixes).toEqual([`${p}x/1`]);
    // The delete is not yet delivered when the watch is replaced: the new one replays it.
    await t.client.delete().key(`${p}x/1`);
    await register(lease, `${p}y/1`);
    // The wider range is checked (a count-only read) before its watch replaces the old one.
    await waitFor(() => guard.prefixes[0] === p, { message: 'widened' });
    expect(guard.prefixes).toEqual([p]);
    expect(guard.watchCount).toBe(1);
    await waitFor(() => seen.includes(`deleted ${p}x/1`), { message: 'the delete made before the widening' });
    await t.client.delete().key(`${p}y/1`);
    await waitFor(() => seen.includes(`deleted ${p}y/1`), { message: 'a delete after it' });
    await waitFor(async () => (await watchers()) === 1, { message: 'one etcd watcher' });
  });

  it('ignores changes made before the key was last confirmed', async () => {
    const lease = await t.client.lease(30, { autoKeepAlive: false }).grant();
    const { seen, register, confirmed, guard } = guarded([lease]);
    const p = uniquePrefix();
    await register(lease, `${p}z`);
    // Outside the watched range: written, deleted, written again by the registry, confirmed at `rev`.
    await t.client.put(`${p}a`).value('v').lease(lease);
    await t.client.delete().key(`${p}a`);
    const rev = (await t.client.put(`${p}a`).value('v').lease(lease).exec()).header.revision;
    confirmed.set(`${p}a`, BigInt(rev));
    // Widening resumes from before those changes: the replayed delete is older than the confirmation.
    guard.cover([`${p}a`], rev);
    await waitFor(() => guard.prefixes[0] === p, { message: 'widened' });
    await t.client.delete().key(`${p}z`);
    await waitFor(() => seen.includes(`deleted ${p}z`), { message: 'the later delete' });
    expect(seen).toEqual([`deleted ${p}z`]);
  });

  it('a watch cancelled by etcd (its start revision compacted) is reported as a gap, and re-created by the next cover', async () => {
    const lease = await t.client.lease(30, { autoKeepAlive: false }).grant();
    const { guard, seen, register } = guarded([lease]);
    const p = uniquePrefix();
    await register(lease, `${p}old/1`);
    let rev = '0';
    for (let i = 0; i < 20; i++) rev = (await t.client.put(`/elsewhere/${i}`).value('x').exec()).header.revision;
    await t.client.kv.compact({ revision: rev, physical: true });
    // Widening resumes from the old watch's progress, which is compacted now.
    await register(lease, `${p}new/1`);
    await waitFor(() => seen.some((s) => s.startsWith('gap ownership watch cancelled')), { message: 'gap reported' });
    expect(guard.watchCount).toBe(0);
    // The keeper's restore pass confirms every key and covers them again: the watch is back.
    await register(lease, `${p}old/1`, `${p}new/1`);
    expect(guard.watchCount).toBe(1);
    await t.client.delete().key(`${p}old/1`);
    await waitFor(() => seen.includes(`deleted ${p}old/1`), { message: 'a delete after re-creation' });
  });
});
