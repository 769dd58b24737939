import type { InstanceChanges, InstanceMap, MapChanges, ServiceMap } from './core';

/** The change set from `from` (undefined: the empty map, nothing handed yet) to `to`. */
export type ChangesBetween<M, C> = (from: M | undefined, to: M) => C;

const NO_KEYS: readonly string[] = Object.freeze([]);
const frozen = (keys: string[]): readonly string[] => (keys.length ? Object.freeze(keys) : NO_KEYS);

/** Keys added, removed and whose value differs, comparing two key -> value maps (O(N), keys in `to`'s then `from`'s order). */
function keyDiff(from: ReadonlyMap<string, string>, to: ReadonlyMap<string, string>) {
  const added: string[] = [];
  const updated: string[] = [];
  const removed: string[] = [];
  for (const [key, value] of to) {
    const before = from.get(key);
    if (before === undefined) added.push(key);
    else if (before !== value) updated.push(key);
  }
  for (const key of from.keys()) if (!to.has(key)) removed.push(key);
  return { added: frozen(added), removed: frozen(removed), updated: frozen(updated) };
}

const entriesOf = (map: ServiceMap | undefined): ReadonlyMap<string, string> => new Map(map ? Object.entries(map) : []);

/** MapChanges between two service maps, by key and value (the path of a retried or coalesced call; O(N)). */
export const mapChangesBetween: ChangesBetween<ServiceMap, MapChanges> = (from, to) =>
  Object.freeze({ previous: from, ...keyDiff(entriesOf(from), entriesOf(to)) });

/**
 * The etcd keys of an instance map with what they hold: the raw value an instance was decoded from
 * (as the instance decoder compares keys), and for an entry the codec skipped its reason (the map
 * keeps no raw value of those, so a skipped key whose value changed to one skipped for the same
 * reason is not seen as updated).
 */
function keysOfInstances(map: InstanceMap | undefined): ReadonlyMap<string, string> {
  const keys = new Map<string, string>();
  if (!map) return keys;
  for (const instance of map.all()) keys.set(instance.key, `value:${instance.value}`);
  for (const entry of map.skipped) keys.set(entry.key, `skipped:${entry.reason}`);
  return keys;
}

/** InstanceChanges between two instance maps (the path of a retried or coalesced call; O(N)). */
export const instanceChangesBetween: ChangesBetween<InstanceMap, InstanceChanges> = (from, to) =>
  Object.freeze({ previous: from, ...keyDiff(keysOfInstances(from), keysOfInstances(to)) });
