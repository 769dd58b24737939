import { Injectable } from '@nestjs/common';
import { createRegistry, EtcdRegistryModule, Registry, WatchServices } from '../../lib';
import type { InstanceChanges, InstanceMap, MapChanges, ServiceMap } from '../../lib';
import { EtcdServer, startEtcd } from '../support/etcd-launcher';
import { withNestApps } from '../support/nest-app';
import { waitFor } from '../support/wait-for';

jest.setTimeout(30_000);

const ROOT = `/e2e-watch-changes-${process.pid}/`;

interface Call<M, C> {
  map: M;
  changes: C;
  /** Whether the method returned normally. */
  ok: boolean;
}

const sorted = (c: { added: readonly string[]; removed: readonly string[]; updated: readonly string[] }) => ({
  added: [...c.added].sort(),
  removed: [...c.removed].sort(),
  updated: [...c.updated].sort(),
});

/** A @WatchServices method recording (map, changes); it throws while `failWhile(map)` holds. */
function mapWatcher(prefix: string, failWhile: (map: ServiceMap) => boolean = () => false) {
  @Injectable()
  class ChangesWatcher {
    static readonly calls: Call<ServiceMap, MapChanges>[] = [];
    @WatchServices(prefix)
    onServices(services: ServiceMap, changes: MapChanges) {
      const ok = !failWhile(services);
      ChangesWatcher.calls.push({ map: services, changes, ok });
      if (!ok) throw new Error('not ready for this map');
    }
  }
  return ChangesWatcher;
}

describe('@WatchServices change sets (real etcd)', () => {
  let etcd: EtcdServer;
  let writer: Registry;
  let n = 0;
  const apps = withNestApps();
  const prefix = () => `${ROOT}t${++n}/`;
  const start = (providers: unknown[]) =>
    apps.start({ imports: [EtcdRegistryModule.forRoot({ endpoints: etcd.endpoints })], providers: providers as never[] });

  beforeAll(async () => {
    etcd = await startEtcd();
    writer = createRegistry({ endpoints: etcd.endpoints });
  });

  afterAll(async () => {
    await writer?.close();
    await etcd?.stop();
  });

  it('the method gets what changed: every key added first, then the key registered, then the key unregistered', async () => {
    const p = prefix();
    await writer.register(`${p}a`, '10.0.0.1:1');
    const W = mapWatcher(p);
    await start([W]);
    expect(W.calls).toHaveLength(1);
    expect(W.calls[0].changes.previous).toBeUndefined();
    expect(sorted(W.calls[0].changes)).toEqual({ added: [`${p}a`], removed: [], updated: [] });

    await writer.register(`${p}b`, '10.0.0.2:2');
    await waitFor(() => W.calls.some((c) => `${p}b` in c.map), { message: 'the map with b' });
    const withB = W.calls[W.calls.length - 1];
    expect(sorted(withB.changes)).toEqual({ added: [`${p}b`], removed: [], updated: [] });
    expect(withB.changes.previous).toBe(W.calls[W.calls.length - 2].map);

    await writer.unregister(`${p}a`);
    await waitFor(() => !(`${p}a` in W.calls[W.calls.length - 1].map), { message: 'the map without a' });
    expect(sorted(W.calls[W.calls.length - 1].changes)).toEqual({ added: [], removed: [`${p}a`], updated: [] });
    expect(W.calls.every((c) => c.ok)).toBe(true);
    await writer.unregister(`${p}b`);
  });

  it('after failed calls, the first successful one reports what changed since nothing succeeded: A and B added', async () => {
    const p = prefix();
    await writer.register(`${p}a`, '10.0.0.1:1');
    // Throws for every map without b: the first call (and any retry of it before b comes) fails.
    const W = mapWatcher(p, (map) => !(`${p}b` in map));
    await start([W]);
    expect(W.calls[0]).toEqual(expect.objectContaining({ ok: false }));
    await writer.register(`${p}b`, '10.0.0.2:2');
    await waitFor(() => W.calls.some((c) => c.ok), { message: 'a successful call' });
    const success = W.calls.find((c) => c.ok)!;
    expect(success.map).toEqual({ [`${p}a`]: '10.0.0.1:1', [`${p}b`]: '10.0.0.2:2' });
    // The core's own change set for this delivery names b only (relative to the map the failed call got).
    expect(success.changes.previous).toBeUndefined();
    expect(sorted(success.changes)).toEqual({ added: [`${p}a`, `${p}b`], removed: [], updated: [] });

    // Back in step: the next change is relative to that successful map.
    await writer.register(`${p}a`, '10.0.0.9:9');
    await waitFor(() => W.calls[W.calls.length - 1].map[`${p}a`] === '10.0.0.9:9', { message: 'the update of a' });
    const update = W.calls[W.calls.length - 1];
    expect(update.changes.previous).toBe(success.map);
    expect(sorted(update.changes)).toEqual({ added: [], removed: [], updated: [`${p}a`] });
    await writer.unregister(`${p}a`);
    await writer.unregister(`${p}b`);
  });

  it("as: 'instances': InstanceChanges by etcd key, relative to the last successful call", async () => {
    const p = prefix();
    const a = `${p}users/1`;
    const b = `${p}users/2`;
    @Injectable()
    class FleetWatcher {
      static readonly calls: Call<InstanceMap, InstanceChanges>[] = [];
      @WatchServices(p, { as: 'instances' })
      onFleet(fleet: InstanceMap, changes: InstanceChanges) {
        const ok = fleet.all().length >= 2;
        FleetWatcher.calls.push({ map: fleet, changes, ok });
        if (!ok) throw new Error('waiting for two instances');
      }
    }
    const calls = FleetWatcher.calls;
    await writer.register(a, '10.0.0.1:1');
    await start([FleetWatcher]);
    expect(calls[0].ok).toBe(false);
    await writer.register(b, '10.0.0.2:2');
    await waitFor(() => calls.some((c) => c.ok), { message: 'a successful call' });
    const success = calls.find((c) => c.ok)!;
    expect(success.changes.previous).toBeUndefined();
    expect(sorted(success.changes)).toEqual({ added: [a, b], removed: [], updated: [] });
    expect(success.map.all().map((i) => i.key)).toEqual([a, b]);

    await writer.register(`${p}users/3`, '10.0.0.3:3');
    await writer.unregister(a);
    await waitFor(() => calls[calls.length - 1].map.all().every((i) => i.key !== a), { message: 'the map without a' });
    const last = calls[calls.length - 1];
    expect(last.ok).toBe(true);
    // Whether the two writes came in one delivery or two, together they say: 3 added, a removed.
    const changed = calls.slice(calls.indexOf(success) + 1).map((c) => sorted(c.changes));
    expect([...new Set(changed.flatMap((c) => c.added))].sort()).toEqual([`${p}users/3`]);
    expect(changed.flatMap((c) => c.removed)).toEqual([a]);
    expect(last.changes.previous).toBe(calls[calls.length - 2].map);
    await writer.unregister(b);
    await writer.unregister(`${p}users/3`);
  });
});
