import { FrozenInstanceMap } from '../../lib/core/instances/instance-map';
import { LoadBalancer, ServiceInstance } from '../../lib';
import { PickerChoice } from '../../lib/core';
import { BenchContext } from '../bench-context';

export interface PickerSpeed {
  picker: string;
  instances: number;
  picks: number;
  picksPerSecond: number;
  nsPerPick: number;
}

export interface WeightedShare {
  weight: number;
  expected: number;
  observed: number;
}

export interface PickersResult {
  speeds: PickerSpeed[];
  weighted: { picks: number; shares: WeightedShare[]; chiSquare: number };
}

const PICKERS: Array<[string, PickerChoice]> = [
  ['round-robin', 'round-robin'],
  ['random', 'random'],
  ['weighted', 'weighted'],
  ['p2c-in-flight', 'p2c-in-flight'],
  ['p2c-latency', 'p2c-latency'],
  ['zone-affine (round robin)', { type: 'zone-affine', zone: 'z0' }],
];

function fleet(n: number, weight: (i: number) => number): FrozenInstanceMap {
  const list: ServiceInstance[] = [...Array(n)].map(
    (_, i) =>
      Object.freeze({
        name: 'svc',
        id: `i${i}`,
        address: `10.0.${i >> 8}.${i & 255}:3000`,
        endpoints: [],
        metadata: {},
        zone: `z${i % 3}`,
        weight: weight(i),
        status: 'up',
        key: `/services/svc/i${i}`,
        value: '',
        codec: 'bench',
      }) as ServiceInstance,
  );
  return new FrozenInstanceMap([['svc', list]], []);
}

/**
 * Figure 7. Picks per second of each picker over the live instances (no etcd call per pick: the
 * balancer holds the watched map), for 10 and 1,000 instances, and the weighted picker's
 * distribution over weights 1:2:3:4.
 */
export async function measurePickers(ctx: BenchContext): Promise<PickersResult> {
  const picks = ctx.sizes.pickerPicks;
  const speeds: PickerSpeed[] = [];
  for (const instances of [10, 1000]) {
    for (const [name, picker] of PICKERS) {
      const lb = new LoadBalancer({ picker });
      lb.apply(fleet(instances, (i) => 1 + (i % 4)));
      for (let i = 0; i < 10_000; i++) lb.pick('svc'); // warm-up
      const t0 = process.hrtime.bigint();
      let sink = 0;
      for (let i = 0; i < picks; i++) sink += lb.pick('svc').inFlight;
      const ns = Number(process.hrtime.bigint() - t0);
      if (sink < 0) console.log(sink);
      const speed = { picker: name, instances, picks, picksPerSecond: (picks / ns) * 1e9, nsPerPick: ns / picks };
      speeds.push(speed);
      ctx.log(`  ${name} over ${instances}: ${(speed.picksPerSecond / 1e6).toFixed(1)} M picks/s (${speed.nsPerPick.toFixed(0)} ns)`);
      await lb.close();
    }
  }
  const lb = new LoadBalancer({ picker: 'weighted' });
  lb.apply(fleet(4, (i) => i + 1));
  const counts = new Map<string, number>();
  for (let i = 0; i < picks; i++) {
    const id = lb.pick('svc').instance.id;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  const shares = [1, 2, 3, 4].map((weight, i) => ({ weight, expected: weight / 10, observed: (counts.get(`i${i}`) ?? 0) / picks }));
  const chiSquare = shares.reduce((s, x) => s + (x.observed * picks - x.expected * picks) ** 2 / (x.expected * picks), 0);
  ctx.log(
    `  weighted 1:2:3:4 over ${picks} picks: ${shares.map((s) => (s.observed * 100).toFixed(2) + '%').join(' / ')} (chi-square ${chiSquare.toFixed(2)}, df 3)`,
  );
  return { speeds, weighted: { picks, shares, chiSquare } };
}
