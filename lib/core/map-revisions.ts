import type { ServiceMap } from './registry.interface';

/** Tells the etcd mod_revision of a key of one delivered map; undefined when unknown. */
export type RevisionLookup = (key: string) => string | undefined;

const lookups = new WeakMap<ServiceMap, RevisionLookup>();

/**
 * The key under which a map of the etcd registry's watches (a view of its trie, map-view.ts) hands
 * out its revision lookup itself, made on demand: nothing to attach per delivered version.
 */
export const REVISIONS: unique symbol = Symbol('revisions');

/**
 * Attaches to a map the revisions of its keys, without changing the map's shape (handlers keep
 * getting a plain Record). The instance decoder reads them (ServiceInstance.revision).
 */
export function attachRevisions(map: ServiceMap, lookup: RevisionLookup): void {
  lookups.set(map, lookup);
}

/** The revisions attached to `map`, if any (maps of the etcd registry have them). */
export function revisionsOf(map: ServiceMap): RevisionLookup | undefined {
  return lookups.get(map) ?? ((map as { [REVISIONS]?: RevisionLookup })[REVISIONS] || undefined);
}
