import {
  InstanceEjectedEvent,
  InstanceMap,
  RegistryEvent,
  LoadBalancer,
  NoInstanceAddressError,
  NoLiveInstanceError,
  UnknownServiceError,
} from '../../lib';
import { RegistryEvents, InstanceRestoredEvent, endpointAddressing } from '../../lib/core';
import { countPicks, fleetOf, instance, seededRandom } from '../support/instance-fixtures';

describe('outlier ejection', () => {
  let now = 1_000_000;
  beforeEach(() => {
    jest.useFakeTimers();
    now = 1_000_000;
  });
  afterEach(() => jest.useRealTimers());

  const make = () => {
    const lb = new LoadBalancer({
      picker: 'round-robin',
      random: seededRandom(1),
      now: () => now,
      ejection: { consecutiveFailures: 3, baseEjectionMs: 1000, maxEjectionMs: 4000 },
    });
    const ejected: InstanceEjectedEvent[] = [];
    const restored: InstanceRestoredEvent[] = [];
    lb.events.on('instance-ejected', (e) => ejected.push(e));
    lb.events.on('instance-restored', (e) => restored.push(e));
    lb.apply(fleetOf(instance('user-service', 'u1'), instance('user-service', 'u2')));
    const u1 = () => [...Array(4)].map(() => lb.pick('user-service')).find((c) => c.instance.id === 'u1')!;
    const fail = (times: number) => {
      for (let i = 0; i < times; i++) {
        const c = u1();
        lb.started(c);
        lb.finished(c, { ok: false });
      }
    };
    const advance = (ms: number) => {
      now += ms;
      jest.advanceTimersByTime(ms);
    };
    return { lb, ejected, restored, u1, fail, advance };
  };

  it('3 failures in a row eject for the base while: not picked, in status() and an event; back after it', () => {
    const { lb, ejected, restored, fail, advance } = make();
    fail(2);
    expect(lb.status().services[0].ejected).toBe(0);
    fail(1);
    expect(ejected).toEqual([
      {
        type: 'instance-ejected',
        at: now,
        service: 'user-service',
        key: '/services/user-service/u1',
        address: 'http://10.0.0.1:3000',
        failures: 3,
        forMs: 1000,
        until: now + 1000,
      },
    ]);
    expect(lb.status().services[0]).toMatchObject({ service: 'user-service', ejected: 1 });
    expect(lb.status().services[0].instances.find((i) => i.key.endsWith('u1'))!.ejectedUntil).toBe(now + 1000);
    expect(countPicks(100, () => lb.pick('user-service')).get('u1')).toBeUndefined();
    advance(999);
    expect(restored).toEqual([]);
    advance(1);
    expect(restored).toEqual([
      {
        type: 'instance-restored',
        at: now,
        service: 'user-service',
        key: '/services/user-service/u1',
        address: 'http://10.0.0.1:3000',
        reason: 'timeout',
      },
    ]);
    expect(countPicks(100, () => lb.pick('user-service')).get('u1')).toBe(50);
    expect(lb.status().services[0].ejected).toBe(0);
  });

  it("an ejection is also an 'instance-ejected' event of the registry the balancer follows, with the balancer's shape", async () => {
    const registryEvents = new RegistryEvents();
    const seen: RegistryEvent[] = [];
    registryEvents.on((e) => seen.push(e), ['instance-ejected']);
    // The source: what a Registry or RegistryService offers (watchInstances and events).
    const source = {
      events: registryEvents,
      watchInstances: async (prefix: string, fn: (fleet: InstanceMap) => void) => {
        fn(fleetOf(instance('user-service', 'u1'), instance('user-service', 'u2')));
        return { prefix, remove: async () => undefined };
      },
    };
    const lb = await LoadBalancer.watch(source, { picker: 'round-robin', random: seededRandom(1), ejection: { consecutiveFailures: 3 } });
    const ejected: InstanceEjectedEvent[] = [];
    lb.events.on('instance-ejected', (e) => ejected.push(e));
    for (let i = 0; i < 3; i++) {
      const c = [...Array(4)].map(() => lb.pick('user-service')).find((p) => p.instance.id === 'u1')!;
      lb.started(c);
      lb.finished(c, { ok: false });
    }
    expect(seen).toEqual([ejected[0]]);
    expect(seen[0]).toEqual({
      type: 'instance-ejected',
      at: expect.any(Number),
      service: 'user-service',
      key: '/services/user-service/u1',
      address: expect.any(String),
      failures: 3,
      forMs: expect.any(Number),
      until: expect.any(Number),
    });
    await lb.close();
  });

  it('a success resets the count: failures must be consecutive', () => {
    const { lb, ejected, u1, fail } = make();
    fail(2);
    const c = u1();
    lb.started(c);
    lb.finished(c, { ok: true, latencyMs: 3 });
    fail(2);
    expect(ejected).toEqual([]);
  });

  it('backs off: each ejection in a row doubles the while, up to the maximum; a long healthy spell starts again from the base', () => {
    const { ejected, fail, advance } = make();
    for (const expected of [1000, 2000, 4000, 4000]) {
      fail(3);
      expect(ejected.at(-1)!.forMs).toBe(expected);
      advance(expected);
    }
    advance(4000); // healthy for maxEjectionMs since its return
    fail(3);
    expect(ejected.at(-1)!.forMs).toBe(1000);
  });

  it('comes back at once when the registry sees it registered again (a new value under its key)', () => {
    const { lb, restored, fail } = make();
    fail(3);
    lb.apply(fleetOf(instance('user-service', 'u1', { address: '10.0.0.9:3000' }), instance('user-service', 'u2')));
    expect(restored).toEqual([
      expect.objectContaining({ key: '/services/user-service/u1', reason: 're-registered', address: 'http://10.0.0.9:3000' }),
    ]);
    expect(countPicks(10, () => lb.pick('user-service')).get('u1')).toBe(5);
    jest.advanceTimersByTime(10_000); // the old timer does not fire a second event
    expect(restored).toHaveLength(1);
  });

  it('an instance that leaves and comes back under its key starts fresh', () => {
    const { lb, ejected, fail } = make();
    fail(3);
    lb.apply(fleetOf(instance('user-service', 'u2')));
    lb.apply(fleetOf(instance('user-service', 'u1'), instance('user-service', 'u2')));
    expect(lb.status().services[0]).toMatchObject({ ejected: 0 });
    expect(ejected).toHaveLength(1);
  });

  it('when every instance is ejected, picks among them anyway rather than failing', () => {
    const lb = new LoadBalancer({ ejection: { consecutiveFailures: 1 } });
    lb.apply(fleetOf(instance('user-service', 'u1')));
    const c = lb.pick('user-service');
    lb.finished(c, { ok: false });
    expect(lb.status().services[0].ejected).toBe(1);
    expect(lb.pick('user-service').instance.id).toBe('u1');
  });

  it('consecutiveFailures 0 and consecutiveErrors 0 turn ejection off', () => {
    const lb = new LoadBalancer({ ejection: { consecutiveFailures: 0, consecutiveErrors: 0 } });
    lb.apply(fleetOf(instance('user-service', 'u1')));
    for (let i = 0; i < 50; i++) lb.finished(lb.pick('user-service'), { ok: false });
    for (let i = 0; i < 50; i++) lb.finished(lb.pick('user-service'), { ok: false, answered: true });
    expect(lb.status().services[0].ejected).toBe(0);
  });

  it('error answers (5xx, a counted RpcException) eject after consecutiveErrors (default 5, as Envoy consecutive_5xx); a success resets the count', () => {
    const lb = new LoadBalancer({ picker: 'round-robin', now: () => now });
    lb.apply(fleetOf(instance('user-service', 'u1')));
    const answer = (ok: boolean) => {
      const c = lb.pick('user-service');
      lb.started(c);
      lb.finished(c, ok ? { ok } : { ok, answered: true, latencyMs: 1 });
    };
    for (let i = 0; i < 4; i++) answer(false);
    answer(true);
    for (let i = 0; i < 4; i++) answer(false);
    expect(lb.status().services[0].ejected).toBe(0);
    answer(false);
    expect(lb.status().services[0].ejected).toBe(1);
    // Errors answered do not count for the no-answer rule (3 by default), no answers count for both.
    const lb2 = new LoadBalancer({ now: () => now, ejection: { consecutiveErrors: 4 } });
    lb2.apply(fleetOf(instance('user-service', 'u1')));
    const c = lb2.pick('user-service');
    lb2.finished(c, { ok: false, answered: true });
    lb2.finished(c, { ok: false, answered: true });
    lb2.finished(c, { ok: false });
    expect(lb2.status().services[0].ejected).toBe(0);
    lb2.finished(c, { ok: false });
    expect(lb2.status().services[0]).toMatchObject({ ejected: 1, instances: [{ consecutiveFailures: 4 }] });
  });

  it('a draining instance is never picked, but stays (no "left") until its calls in flight settle', () => {
    const lb = new LoadBalancer({ picker: 'round-robin', random: seededRandom(3) });
    const left: string[] = [];
    lb.events.on('instance-left', (e) => left.push(e.key));
    lb.apply(fleetOf(instance('user-service', 'u1'), instance('user-service', 'u2')));
    const calls = [...Array(4)].map(() => lb.pick('user-service'));
    calls.forEach((c) => lb.started(c));
    const onU1 = calls.filter((c) => c.instance.id === 'u1');
    expect(onU1).toHaveLength(2);
    lb.apply(fleetOf(instance('user-service', 'u1', { status: 'draining' }), instance('user-service', 'u2')));
    expect(countPicks(100, () => lb.pick('user-service')).get('u1')).toBeUndefined();
    expect(left).toEqual([]);
    expect(lb.status().services[0]).toMatchObject({ draining: 1, ejected: 0 });
    expect(lb.status().services[0].instances.find((i) => i.key.endsWith('u1'))).toMatchObject({ inFlight: 2, draining: true });
    lb.finished(onU1[0], { ok: true, latencyMs: 300 });
    expect(left).toEqual([]);
    lb.finished(onU1[1], { ok: true, latencyMs: 300 });
    // Old code: 'left' at once when the map said draining (the TCP client closed its connection under the calls).
    expect(left).toEqual(['/services/user-service/u1']);
    expect(lb.status().services[0].instances.map((i) => i.key)).toEqual(['/services/user-service/u2']);
  });

  it('a draining instance with nothing in flight leaves at once, and one whose key leaves goes whatever is in flight', () => {
    const lb = new LoadBalancer({ picker: 'round-robin' });
    const left: string[] = [];
    lb.events.on('instance-left', (e) => left.push(e.key));
    lb.apply(fleetOf(instance('user-service', 'u1'), instance('user-service', 'u2')));
    const c = [...Array(2)].map(() => lb.pick('user-service')).find((x) => x.instance.id === 'u2')!;
    lb.started(c);
    lb.apply(fleetOf(instance('user-service', 'u1', { status: 'draining' }), instance('user-service', 'u2', { status: 'draining' })));
    expect(left).toEqual(['/services/user-service/u1']);
    lb.apply(fleetOf());
    expect(left).toEqual(['/services/user-service/u1', '/services/user-service/u2']);
    expect(() => lb.finished(c, { ok: true })).not.toThrow();
  });
});

describe('an empty pick says why, at once', () => {
  it('unknown service: names the service, the prefix and the services there', () => {
    const lb = new LoadBalancer();
    lb.apply(fleetOf(instance('user-service', 'u1'), instance('billing', 'b1')));
    expect(() => lb.pick('user-servise')).toThrow(UnknownServiceError);
    expect(() => lb.pick('user-servise')).toThrow(
      'No service named "user-servise" is registered under "/services/" (services there: user-service, billing)',
    );
  });

  it('no live instance: every instance drains, or every instance left', () => {
    const lb = new LoadBalancer();
    lb.apply(fleetOf(instance('user-service', 'u1', { status: 'draining' })));
    expect(() => lb.pick('user-service')).toThrow(NoLiveInstanceError);
    expect(() => lb.pick('user-service')).toThrow(
      'Service "user-service" under "/services/" has no live instance (1 draining, never picked)',
    );
    lb.apply(fleetOf(instance('billing', 'b1')));
    expect(() => lb.pick('user-service')).toThrow('Service "user-service" under "/services/" has no live instance (every instance left)');
  });

  it('no address for the transport: names the service, the transport and the instances', () => {
    const lb = new LoadBalancer({ transport: endpointAddressing('tcp', ['tcp']) });
    lb.apply(fleetOf(instance('user-service', 'u1', { endpoints: ['http://10.0.0.1:3000'] })));
    expect(() => lb.pick('user-service')).toThrow(NoInstanceAddressError);
    expect(() => lb.pick('user-service')).toThrow(
      'No instance of service "user-service" has an address for tcp (instances: u1): register an endpoint such as "tcp://host:port"',
    );
    lb.apply(fleetOf(instance('user-service', 'u1', { endpoints: ['http://10.0.0.1:3000', 'tcp://10.0.0.1:4000'] })));
    expect(lb.pick('user-service').address).toBe('10.0.0.1:4000');
    lb.apply(fleetOf(instance('user-service', 'u1')));
    expect(lb.pick('user-service').address).toBe('10.0.0.1:3000'); // a plain host:port instance: its address
  });

  it('a bad service name is a RegistryArgumentError', () => {
    const lb = new LoadBalancer();
    expect(() => lb.pick('')).toThrow(/Argument "service" must be a non-empty service name/);
  });
});
