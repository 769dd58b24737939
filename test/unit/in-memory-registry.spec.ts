import { setImmediate as realSetImmediate } from 'timers';
import { realUntil } from '../../lib/testing/in-memory-etcd';
import { RegistryOptionsError, RegistryUnavailableError, ServiceMap } from '../../lib';
import { InMemoryRegistry } from '../../lib/testing';
import { recordWatch } from '../support/watch-recorder';

/** What only the in-memory side has (the shared behaviour is in the contract suite). */
describe('InMemoryRegistry', () => {
  const open: InMemoryRegistry[] = [];
  const make = (options = {}) => {
    const r = new InMemoryRegistry(options);
    open.push(r);
    return r;
  };
  afterEach(async () => {
    jest.useRealTimers();
    await Promise.all(open.splice(0).map((r) => r.close()));
  });

  it('checks its options as the etcd registry does, and needs no endpoints', () => {
    expect(() => new InMemoryRegistry({ ttlSeconds: 0 })).toThrow(RegistryOptionsError);
    expect(() => new InMemoryRegistry(null as never)).toThrow(expect.objectContaining({ option: 'options' }));
    expect(make().options).toMatchObject({ ttlSeconds: 5, timeoutMs: 5000, endpoints: ['in-memory'] });
  });

  it('a crashed instance goes exactly when its TTL has passed on the test clock (its own TTL if given)', async () => {
    jest.useFakeTimers(); // Date.now() frozen: the kit's clock moves only with advanceTime
    const r = make({ ttlSeconds: 3 });
    await r.addInstance('/s/a', 'a');
    await r.addInstance('/s/b', 'b', { ttlSeconds: 10 });
    const rec = await recordWatch(r, '/s/');
    const t0 = r.now();
    await r.crash('/s/a');
    await r.crash('/s/b');
    await r.advanceTime(2999);
    expect(rec.last).toEqual({ '/s/a': 'a', '/s/b': 'b' });
    await r.advanceTime(1);
    expect(rec.last).toEqual({ '/s/b': 'b' });
    await r.advanceTime(7000);
    expect(rec.last).toEqual({});
    expect(r.now() - t0).toBe(10_000);
  });

  it('keys that expire together, and changes made in one go, reach a handler as one call', async () => {
    const r = make({ ttlSeconds: 2 });
    const rec = await recordWatch(r, '/s/');
    await Promise.all([r.addInstance('/s/1', '1'), r.addInstance('/s/2', '2'), r.addInstance('/s/3', '3')]);
    expect(rec.maps).toEqual([{}, { '/s/1': '1', '/s/2': '2', '/s/3': '3' }]);
    await Promise.all(['/s/1', '/s/2', '/s/3'].map((p) => r.crash(p)));
    await r.advanceTime(2000);
    expect(rec.maps).toHaveLength(3);
    expect(rec.last).toEqual({});
  });

  it('unavailable: errors name the label and timeoutMs; status() says the watches are not live, and since when', async () => {
    jest.useFakeTimers();
    const r = make({ timeoutMs: 1234 });
    const created = r.now();
    await r.register('/s/me', 'x');
    await recordWatch(r, '/s/');
    expect(r.status().watches).toEqual([{ prefix: '/s/', revision: expect.any(String), live: true, staleSince: undefined, handlers: 1 }]);
    await r.advanceTime(500);
    await r.setUnavailable(true);
    const error = await r.getServices('/s/').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryUnavailableError);
    expect((error as Error).message).toContain('in-memory');
    expect((error as Error).message).toContain('1234 ms');
    expect(r.status().watches[0]).toMatchObject({ live: false, staleSince: r.now() });
    expect(r.status().watches[0].staleSince).toBe(created + 500); // the outage's start, not the registry's creation
    await r.setUnavailable(false);
    expect(r.status().watches[0]).toMatchObject({ live: true, staleSince: undefined });
  });

  it('status(): the lease exists while this registry holds a key, and lingers leaseLingerMs on the test clock after the last one', async () => {
    const r = make({ ttlSeconds: 4, leaseLingerMs: 0 });
    expect(r.status().lease).toBeUndefined();
    await r.register('/s/a', '1');
    expect(r.status().lease).toMatchObject({ id: expect.stringMatching(/^\d+$/), ttlSeconds: 4 });
    await r.unregister('/s/a');
    expect(r.status().lease).toBeUndefined();

    jest.useFakeTimers();
    const lingering = make({ leaseLingerMs: 3000 });
    await lingering.register('/s/b', '1');
    const lease = lingering.status().lease!.id;
    await lingering.unregister('/s/b');
    await lingering.advanceTime(2999);
    expect(lingering.status().lease?.id).toBe(lease);
    await lingering.register('/s/b', '2'); // reuses the lingering lease
    expect(lingering.status().lease?.id).toBe(lease);
    await lingering.unregister('/s/b');
    await lingering.advanceTime(3000);
    expect(lingering.status().lease).toBeUndefined();
  });

  it('helpers refuse what would be a test mistake, naming it', async () => {
    const r = make();
    await r.register('/s/mine', 'x');
    expect(() => r.addInstance('/s/mine', 'y')).toThrow(/registered by this InMemoryRegistry/);
    expect(() => r.leave('/s/nobody')).toThrow(/no other instance holds this path/);
    expect(() => r.crash('/s/mine')).toThrow(/no other instance holds this path/);
    expect(() => r.advanceTime(-1)).toThrow(RangeError);
  });

  it('settled() waits for an async handler, and works under jest fake timers', async () => {
    jest.useFakeTimers();
    const r = make();
    const seen: ServiceMap[] = [];
    await r.addWatch('/s/', async (map) => {
      await new Promise((resolve) => realSetImmediate(resolve)); // a turn of the event loop
      seen.push(map);
    });
    await r.addInstance('/s/a', 'a');
    expect(seen).toEqual([{}, { '/s/a': 'a' }]);
  });

  it('real time never moves the kit clock: a crashed key stays through advanceTime(ttl - 1) however slow the machine', async () => {
    const r = make({ ttlSeconds: 2 });
    await r.addInstance('/s/a', 'a');
    const rec = await recordWatch(r, '/s/');
    await r.register('/s/me', 'x');
    const t0 = r.now();
    await r.crash('/s/a');
    const real = Date.now();
    await realUntil(() => Date.now() >= real + 30); // real time passes, no advanceTime
    expect(r.now()).toBe(t0);
    await r.advanceTime(1999);
    expect(rec.last).toEqual({ '/s/a': 'a', '/s/me': 'x' });
    expect(r.status().lease!.lastKeepAliveAt).toBe(t0 + 1999); // a live lease is fresh on the kit clock
    await r.setUnavailable(true);
    expect(r.status().watches[0].staleSince).toBe(t0 + 1999);
    await r.advanceTime(1);
    expect(rec.last).toEqual({ '/s/a': 'a', '/s/me': 'x' }); // unavailable: the watch delivers nothing
    await r.setUnavailable(false);
    expect(rec.last).toEqual({ '/s/me': 'x' });
  });

  it('fake timers move the kit clock: it reads their Date.now() plus every advanceTime', async () => {
    jest.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') });
    const r = make({ ttlSeconds: 3 });
    await r.addInstance('/s/a', 'a');
    const rec = await recordWatch(r, '/s/');
    expect(r.now()).toBe(Date.parse('2030-01-01T00:00:00Z'));
    await r.crash('/s/a');
    jest.advanceTimersByTime(2000);
    await r.advanceTime(999);
    expect(rec.last).toEqual({ '/s/a': 'a' });
    jest.advanceTimersByTime(1);
    expect(await r.getServices('/s/')).toEqual({}); // applied at the next call into the kit
    await r.settled();
    expect(rec.last).toEqual({});
    expect(r.now()).toBe(Date.parse('2030-01-01T00:00:03Z'));
  });

  it('a handler gets a change after the call that made it has resolved, never before (settled() hands it over)', async () => {
    const r = make();
    const rec = await recordWatch(r, '/s/');
    await r.register('/s/me', 'x');
    expect(rec.maps).toEqual([{}]);
    await r.settled();
    expect(rec.last).toEqual({ '/s/me': 'x' });
  });

  it('helpers never wait longer than handlerTimeoutMs for a stuck handler', async () => {
    const r = make({ handlerTimeoutMs: 300, ttlSeconds: 2 });
    await r.addInstance('/s/other', 'o');
    let calls = 0;
    await r.addWatch('/s/', () => (++calls > 1 ? new Promise<void>(() => undefined) : undefined));
    const bounded = async (what: string, helper: () => Promise<void>) => {
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        helper().then(() => 'resolved'),
        new Promise((res) => (timer = setTimeout(() => res(`${what} pending`), 5000))),
      ]);
      clearTimeout(timer);
      expect(outcome).toBe('resolved');
    };
    await bounded('addInstance', () => r.addInstance('/s/a', 'a'));
    await bounded('crash', () => r.crash('/s/a'));
    await bounded('advanceTime', () => r.advanceTime(2000));
    await bounded('leave', () => r.leave('/s/other'));
    await bounded('setUnavailable', () => r.setUnavailable(true));
    await bounded('setUnavailable', () => r.setUnavailable(false));
    await bounded('settled', () => r.settled());
    expect(calls).toBeGreaterThan(1);
  });

  it('kill(): the application dies; its keys stay for the TTL on the kit clock, seen by another registry on the same etcd', async () => {
    jest.useFakeTimers();
    const a = make({ ttlSeconds: 3 });
    const b = make({ etcd: a.etcd });
    await a.register('/s/a', 'A');
    const rec = await recordWatch(b, '/s/');
    await a.kill();
    await expect(a.register('/s/x', 'x')).rejects.toThrow(/closed/);
    expect(rec.last).toEqual({ '/s/a': 'A' });
    await b.advanceTime(2999);
    expect(rec.last).toEqual({ '/s/a': 'A' });
    await b.advanceTime(1);
    expect(rec.last).toEqual({});
  });
});
