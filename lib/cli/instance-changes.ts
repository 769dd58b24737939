import type { ServiceInstance } from '../core';

export type InstanceChangeType = 'added' | 'removed' | 'changed';

export interface InstanceChange {
  readonly type: InstanceChangeType;
  /** The instance as it is now; for `removed`, as it was last seen. */
  readonly instance: ServiceInstance;
}

/** One instance's identity: a key may hold several instances (go-micro), an instance lives under one key. */
export const identityOf = (i: ServiceInstance): string => `${i.key}\u0000${i.name}\u0000${i.id}`;

/** Indexes instances by identity. */
export function indexInstances(instances: readonly ServiceInstance[]): Map<string, ServiceInstance> {
  return new Map(instances.map((i) => [identityOf(i), i]));
}

/**
 * What changed from `before` to `after`: removed first, then added and changed in `after`'s (key)
 * order. An instance is `changed` when its value or its revision moved (a re-registration under a
 * new lease writes the same value at a new revision). Pure.
 */
export function diffInstances(before: ReadonlyMap<string, ServiceInstance>, after: readonly ServiceInstance[]): InstanceChange[] {
  const next = indexInstances(after);
  const changes: InstanceChange[] = [];
  for (const [id, instance] of before) if (!next.has(id)) changes.push({ type: 'removed', instance });
  for (const [id, instance] of next) {
    const old = before.get(id);
    if (!old) changes.push({ type: 'added', instance });
    else if (old.value !== instance.value || old.revision !== instance.revision) changes.push({ type: 'changed', instance });
  }
  return changes;
}
