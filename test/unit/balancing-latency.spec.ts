import { LoadBalancer } from '../../lib';
import { LATENCY_DECAY_MS, PROBE_AFTER_MS } from '../../lib/core';
import { countPicks, fleetOf, instance, seededRandom } from '../support/instance-fixtures';

/**
 * The p2c-latency model (docs/clients.md, "The latency model"): a time-decayed latency average that an error
 * never lowers, a probe of an instance left out for PROBE_AFTER_MS, and a new instance starting from
 * the fleet's median. A fake clock drives the balancer; picks and outcomes are synchronous.
 */
describe('p2c-latency learns', () => {
  let now = 1_000_000;
  beforeEach(() => (now = 1_000_000));
  const users = (n: number) => [...Array(n)].map((_, i) => instance('user-service', `u${i + 1}`));
  const make = (n = 3) => {
    const lb = new LoadBalancer({ picker: 'p2c-latency', random: seededRandom(7), now: () => now });
    lb.apply(fleetOf(...users(n)));
    /** One call: picked, then finished with `outcome(id)`; the clock moves `stepMs`. */
    const call = (outcome: (id: string) => { ok: boolean; latencyMs: number; answered?: boolean }, stepMs = 5) => {
      const c = lb.pick('user-service');
      lb.started(c);
      now += stepMs;
      lb.finished(c, outcome(c.instance.id));
      return c.instance.id;
    };
    const latency = (id: string) => lb.status().services[0].instances.find((i) => i.key.endsWith(`/${id}`))!.latencyMs;
    return { lb, call, latency };
  };

  it('an instance answering errors at once is not made fast by them: it gets no more than its share', () => {
    // u1 answers 503 in 1 ms; u2, u3 answer in 20 ms. Ejection off, to see the picker alone.
    const lb = new LoadBalancer({
      picker: 'p2c-latency',
      random: seededRandom(7),
      now: () => now,
      ejection: { consecutiveErrors: 0, consecutiveFailures: 0 },
    });
    lb.apply(fleetOf(...users(3)));
    const by = new Map<string, number>();
    for (let i = 0; i < 3000; i++) {
      const c = lb.pick('user-service');
      lb.started(c);
      now += 2;
      const id = c.instance.id;
      lb.finished(c, id === 'u1' ? { ok: false, answered: true, latencyMs: 1 } : { ok: true, latencyMs: 20 });
      by.set(id, (by.get(id) ?? 0) + 1);
    }
    // Old code: the 1 ms "successes" won 2 pairs out of 3 (about 67% of picks).
    expect(by.get('u1')! / 3000).toBeLessThan(0.34);
  });

  it('a failure raises the average when slower (a timeout), never lowers it', () => {
    const { lb, latency } = make(1);
    const c = lb.pick('user-service');
    lb.started(c);
    lb.finished(c, { ok: true, latencyMs: 50 });
    now += 1000;
    lb.started(c);
    lb.finished(c, { ok: false, answered: true, latencyMs: 1 });
    expect(latency('u1')).toBe(50);
    now += 1000;
    lb.started(c);
    lb.finished(c, { ok: false, latencyMs: 2000 });
    expect(latency('u1')).toBeGreaterThan(50);
  });

  it('the average decays with time: a sample after a long quiet weighs more than one right after the last', () => {
    const { lb, latency } = make(1);
    const c = lb.pick('user-service');
    const sample = (ms: number) => {
      lb.started(c);
      lb.finished(c, { ok: true, latencyMs: ms });
    };
    sample(100);
    now += 10;
    sample(10);
    const soon = latency('u1');
    expect(soon).toBeCloseTo(100 - 90 * (1 - Math.exp(-10 / LATENCY_DECAY_MS)), 6);
    now += 3 * LATENCY_DECAY_MS;
    sample(10);
    // After three time constants the old figure weighs exp(-3), about 5%.
    expect(latency('u1')).toBeCloseTo(soon * Math.exp(-3) + 10 * (1 - Math.exp(-3)), 6);
    expect(latency('u1')).toBeLessThan(15);
  });

  it('an instance that once looked slow is probed about once per PROBE_AFTER_MS, and its average comes back once it is fast', () => {
    const { call, latency } = make(3);
    // u1 is slow for a while.
    for (let i = 0; i < 300; i++) call((id) => ({ ok: true, latencyMs: id === 'u1' ? 500 : 10 }));
    expect(latency('u1')).toBeGreaterThan(100);
    // It recovers: every instance answers in 10 ms. 60 s of calls at 200 calls/s.
    const by = new Map<string, number>();
    for (let i = 0; i < 12_000; i++) {
      const id = call(() => ({ ok: true, latencyMs: 10 }), 5);
      by.set(id, (by.get(id) ?? 0) + 1);
    }
    // Old code: 0 of 12,000 (never measured again). Probes give about one a second, each a sample
    // after a 1 s gap (weight 1 - exp(-0.1)): after 60 s its average is back near the others'.
    expect(by.get('u1') ?? 0).toBeGreaterThanOrEqual(55);
    // Its average is back near the others' (from 500 ms): with any spread of calls in flight it wins pairs again.
    expect(latency('u1')).toBeLessThan(15);
  });

  it('a new instance starts from the fleet median, not 0: it does not take every pair while calls pile on it', () => {
    const { lb, call, latency } = make(3);
    for (let i = 0; i < 300; i++) call((id) => ({ ok: true, latencyMs: { u1: 10, u2: 20, u3: 30 }[id]! }));
    lb.apply(fleetOf(...users(4)));
    expect(latency('u4')).toBe(20);
    // 200 picks while nothing finishes (the new instance has not answered yet): how many land on u4?
    const open = countPicks(200, () => {
      const c = lb.pick('user-service');
      lb.started(c);
      now += 1;
      return c;
    });
    // Old code: u4 counted 0 ms and won every pair it was in whatever its calls in flight (about half the picks).
    expect(open.get('u4') ?? 0).toBeLessThan(200 * 0.35);
  });

  it('probes exactly: a loser left out for PROBE_AFTER_MS is picked once, then not again before another PROBE_AFTER_MS', () => {
    const { lb, call } = make(2);
    for (let i = 0; i < 50; i++) call((id) => ({ ok: true, latencyMs: id === 'u1' ? 1000 : 1 }), 0);
    const picks: string[] = [];
    for (let i = 0; i < 2 * PROBE_AFTER_MS; i++) {
      now += 1;
      picks.push(lb.pick('user-service').instance.id);
    }
    expect(picks.filter((id) => id === 'u1')).toHaveLength(2);
  });
});
