import { FrozenInstanceMap } from '../../lib/core/instances/instance-map';
import type { InstanceMap, ServiceInstance } from '../../lib';

/** The seeded random source (mulberry32) of the fault suites, for picks reproducible at a fixed seed. */
export { seededRandom } from './registry-probe';

/** A frozen instance of `name` with id `id` (address 10.0.0.<n>:3000 unless given). */
export function instance(name: string, id: string, fields: Partial<ServiceInstance> = {}): ServiceInstance {
  const address = fields.address ?? `10.0.0.${id.replace(/\D/g, '') || '1'}:3000`;
  return Object.freeze({
    name,
    id,
    address,
    endpoints: [],
    metadata: {},
    weight: 1,
    status: 'up',
    key: `/services/${name}/${id}`,
    value: address,
    codec: 'test',
    ...fields,
  });
}

/** An InstanceMap of `instances`, grouped by service name. */
export function fleetOf(...instances: ServiceInstance[]): InstanceMap {
  const byName = new Map<string, ServiceInstance[]>();
  for (const i of instances) byName.set(i.name, [...(byName.get(i.name) ?? []), i]);
  return new FrozenInstanceMap(byName, []);
}

/** Counts picks by instance id over `n` calls of `pick`. */
export function countPicks(n: number, pick: () => { instance: ServiceInstance }): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const id = pick().instance.id;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/** Pearson's chi-square statistic of observed counts against expected probabilities. */
export function chiSquare(observed: readonly number[], probabilities: readonly number[]): number {
  const n = observed.reduce((a, b) => a + b, 0);
  return observed.reduce((sum, o, i) => sum + (o - n * probabilities[i]) ** 2 / (n * probabilities[i]), 0);
}
