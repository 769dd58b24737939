import { LoadBalancer } from '../../lib';
import { PickerChoice } from '../../lib/core';
import { chiSquare, countPicks, fleetOf, instance, seededRandom } from '../support/instance-fixtures';

/**
 * Distribution tests at fixed seeds, with bounds stated: chi-square critical values at p = 0.001
 * (df 2: 13.82, df 3: 16.27), so a correct picker fails these less than once in a thousand seeds; a
 * picker that is off by a few percent of share fails them always at N = 100,000.
 */
const N = 100_000;
const CHI2_DF3_P001 = 16.27;
const CHI2_DF2_P001 = 13.82;

const users = (...fields: Array<Partial<Parameters<typeof instance>[2]>>) => fields.map((f, i) => instance('user-service', `u${i + 1}`, f));

function balancer(picker: PickerChoice, seed = 42) {
  return new LoadBalancer({ picker, random: seededRandom(seed) });
}

describe('pickers', () => {
  it('round robin visits every instance in turn: exactly N/n picks each, never the same twice in a row', () => {
    const lb = balancer('round-robin');
    lb.apply(fleetOf(...users({}, {}, {}, {})));
    let last = '';
    let repeats = 0;
    const counts = countPicks(N, () => {
      const picked = lb.pick('user-service');
      if (picked.instance.id === last) repeats++;
      last = picked.instance.id;
      return picked;
    });
    expect(repeats).toBe(0);
    expect([...counts.values()]).toEqual([N / 4, N / 4, N / 4, N / 4]);
  });

  it('random is uniform (chi-square, df 3, p = 0.001)', () => {
    const lb = balancer('random');
    lb.apply(fleetOf(...users({}, {}, {}, {})));
    const counts = countPicks(N, () => lb.pick('user-service'));
    const chi2 = chiSquare(
      ['u1', 'u2', 'u3', 'u4'].map((id) => counts.get(id) ?? 0),
      [0.25, 0.25, 0.25, 0.25],
    );
    expect(chi2).toBeLessThan(CHI2_DF3_P001);
  });

  it('weighted follows the weights 1:2:3:4 (chi-square, df 3, p = 0.001; each share within 4 binomial sd)', () => {
    const lb = balancer('weighted');
    lb.apply(fleetOf(...users({ weight: 1 }, { weight: 2 }, { weight: 3 }, { weight: 4 })));
    const counts = countPicks(N, () => lb.pick('user-service'));
    const observed = ['u1', 'u2', 'u3', 'u4'].map((id) => counts.get(id) ?? 0);
    const p = [0.1, 0.2, 0.3, 0.4];
    expect(chiSquare(observed, p)).toBeLessThan(CHI2_DF3_P001);
    observed.forEach((o, i) => expect(Math.abs(o - N * p[i])).toBeLessThan(4 * Math.sqrt(N * p[i] * (1 - p[i]))));
  });

  it('weighted never picks weight 0, and picks uniformly when every weight is 0', () => {
    const lb = balancer('weighted');
    lb.apply(fleetOf(...users({ weight: 0 }, { weight: 5 }, { weight: 5 })));
    const counts = countPicks(10_000, () => lb.pick('user-service'));
    expect(counts.get('u1')).toBeUndefined();
    const zero = balancer('weighted');
    zero.apply(fleetOf(...users({ weight: 0 }, { weight: 0 }, { weight: 0 })));
    const all = countPicks(30_000, () => zero.pick('user-service'));
    expect(
      chiSquare(
        ['u1', 'u2', 'u3'].map((id) => all.get(id) ?? 0),
        [1 / 3, 1 / 3, 1 / 3],
      ),
    ).toBeLessThan(CHI2_DF2_P001);
  });

  it('weighted keeps its distribution after the instances change (table rebuilt)', () => {
    const lb = balancer('weighted');
    lb.apply(fleetOf(...users({ weight: 1 }, { weight: 1 })));
    lb.pick('user-service');
    lb.apply(fleetOf(...users({ weight: 1 }, { weight: 9 })));
    const counts = countPicks(N, () => lb.pick('user-service'));
    expect(chiSquare([counts.get('u1') ?? 0, counts.get('u2') ?? 0], [0.1, 0.9])).toBeLessThan(10.83); // df 1, p = 0.001
  });

  it('p2c on in-flight never picks the busiest of 4, and spreads evenly over the rest', () => {
    const lb = balancer('p2c-in-flight');
    lb.apply(fleetOf(...users({}, {}, {}, {})));
    const busy = [...Array(20)].map(() => lb.pick('user-service')).find((c) => c.instance.id === 'u1')!;
    for (let i = 0; i < 10; i++) lb.started(busy);
    const counts = countPicks(N, () => lb.pick('user-service'));
    expect(counts.get('u1')).toBeUndefined();
    expect(
      chiSquare(
        ['u2', 'u3', 'u4'].map((id) => counts.get(id) ?? 0),
        [1 / 3, 1 / 3, 1 / 3],
      ),
    ).toBeLessThan(CHI2_DF2_P001);
  });

  it('p2c on in-flight balances a steady load of 40 calls over 4 instances: at most 6 apart at the end (random would drift)', () => {
    const lb = balancer('p2c-in-flight');
    lb.apply(fleetOf(...users({}, {}, {}, {})));
    const open: ReturnType<typeof lb.pick>[] = [];
    const random = seededRandom(7);
    for (let i = 0; i < 20_000; i++) {
      const c = lb.pick('user-service');
      lb.started(c);
      open.push(c);
      if (open.length > 40) lb.finished(open.splice(Math.floor(random() * open.length), 1)[0], { ok: true });
    }
    const inFlight = lb.status().services[0].instances.map((i) => i.inFlight);
    expect(inFlight.reduce((a, b) => a + b, 0)).toBe(40);
    expect(Math.max(...inFlight) - Math.min(...inFlight)).toBeLessThanOrEqual(6);
  });

  it('p2c on latency never picks the slowest of 3 (it loses every pair it is in) while its probe is not due, and keeps its average', () => {
    const lb = new LoadBalancer({ picker: 'p2c-latency', random: seededRandom(42), now: () => 1_000_000 });
    lb.apply(fleetOf(...users({}, {}, {})));
    for (let i = 0; i < 30; i++) {
      const c = lb.pick('user-service');
      lb.started(c);
      lb.finished(c, { ok: true, latencyMs: c.instance.id === 'u1' ? 100 : 5 });
    }
    const counts = countPicks(N, () => lb.pick('user-service'));
    // u1 loses every pair it is in: it is never picked while it is the slowest.
    expect(counts.get('u1')).toBeUndefined();
    expect(lb.status().services[0].instances.find((i) => i.key.endsWith('u1'))!.latencyMs).toBeCloseTo(100, 0);
  });

  it('zone-affine stays in its zone, and falls back to the other zones when its zone has no candidate', () => {
    const lb = balancer({ type: 'zone-affine', zone: 'a', within: 'round-robin' });
    const local = [instance('user-service', 'u1', { zone: 'a' }), instance('user-service', 'u2', { zone: 'a' })];
    const remote = [instance('user-service', 'u3', { zone: 'b' }), instance('user-service', 'u4')];
    lb.apply(fleetOf(...local, ...remote));
    expect([...countPicks(1000, () => lb.pick('user-service')).keys()].sort()).toEqual(['u1', 'u2']);
    lb.apply(fleetOf(...local.map((i) => instance(i.name, i.id, { ...i, status: 'draining' })), ...remote));
    expect([...countPicks(1000, () => lb.pick('user-service')).keys()].sort()).toEqual(['u3', 'u4']);
  });

  it('zone-affine falls back when its zone is ejected, and returns once it is back', () => {
    jest.useFakeTimers();
    try {
      const lb = new LoadBalancer({
        picker: { type: 'zone-affine', zone: 'a' },
        ejection: { consecutiveFailures: 1, baseEjectionMs: 1000 },
      });
      lb.apply(fleetOf(instance('user-service', 'u1', { zone: 'a' }), instance('user-service', 'u2', { zone: 'b' })));
      const local = lb.pick('user-service');
      expect(local.instance.id).toBe('u1');
      lb.finished(local, { ok: false });
      expect(lb.pick('user-service').instance.id).toBe('u2');
      jest.advanceTimersByTime(1000);
      expect(lb.pick('user-service').instance.id).toBe('u1');
    } finally {
      jest.useRealTimers();
    }
  });

  it('never picks a draining instance, whatever the picker', () => {
    for (const picker of ['round-robin', 'random', 'weighted', 'p2c-in-flight', 'p2c-latency'] as const) {
      const lb = balancer(picker);
      lb.apply(fleetOf(...users({ status: 'draining', weight: 100 }, {}, {})));
      expect(countPicks(3000, () => lb.pick('user-service')).get('u1')).toBeUndefined();
    }
  });

  it('a retry goes to an instance the call has not tried while one is left', () => {
    for (const picker of ['round-robin', 'random', 'weighted', 'p2c-in-flight'] as const) {
      const lb = balancer(picker);
      lb.apply(fleetOf(...users({}, {}, {})));
      const tried = new Set<string>();
      for (let i = 0; i < 3; i++) tried.add(lb.pick('user-service', tried).key);
      expect(tried.size).toBe(3);
      // All tried: a pick still returns one rather than failing.
      expect(tried.has(lb.pick('user-service', tried).key)).toBe(true);
    }
  });

  it('refuses an unknown picker or a zone-affine picker without a zone, naming the option', () => {
    expect(() => new LoadBalancer({ picker: 'fastest' as never })).toThrow(/Option "picker" must be one of/);
    expect(() => new LoadBalancer({ picker: { type: 'zone-affine', zone: '' } })).toThrow(/picker.zone/);
    expect(() => new LoadBalancer({ ejection: { consecutiveFailures: -1 } })).toThrow(/ejection.consecutiveFailures/);
  });
});
