import type { RevisionLookup } from '../map-revisions';
import { messages } from '../messages';
import type { MapChanges, RegistryLogger, ServiceMap } from '../registry.interface';
import type { InstanceCodec, InstanceEntry } from './instance-codec.interface';
import { FrozenInstanceMap } from './instance-map';
import type { InstanceMap, ServiceInstance, SkippedEntry } from './service-instance';

interface Decoded {
  /** The value these instances were decoded from. */
  value: string;
  instances: readonly ServiceInstance[];
  /** Set when the codec could not read the value. */
  reason?: string | undefined;
}

const NONE: readonly ServiceInstance[] = Object.freeze([]);
const byKey = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Turns successive maps of one prefix into instance maps, decoding only what changed: a key whose
 * value is the one already decoded is not decoded again, and only the services a change touches
 * get a new instance list. Given a watch delivery's change set, only the keys it names are visited;
 * without, scanning a map is a pointer comparison per key. Decoding, sorting and freezing cost per
 * change. A value the
 * codec cannot read is skipped, listed in `skipped`, and logged once (until its value changes).
 */
export class InstanceDecoder {
  private readonly decoded = new Map<string, Decoded>();
  /** Per service name, the instances of each of its keys. */
  private readonly services = new Map<string, Map<string, readonly ServiceInstance[]>>();
  /** Frozen instance list per service, rebuilt when the service is touched. */
  private readonly lists = new Map<string, readonly ServiceInstance[]>();
  private readonly skippedKeys = new Map<string, string>();
  private skippedList: readonly SkippedEntry[] = Object.freeze([]);
  private last?: { input: ServiceMap; output: InstanceMap };

  constructor(
    readonly codec: InstanceCodec,
    private readonly prefix: string,
    private readonly logger?: RegistryLogger,
  ) {}

  /**
   * The instance map of `map`; `revisionOf` gives each key's mod_revision (read for changed keys
   * only). With `changes` from the map decoded last (a watch delivery's change set), only the keys
   * it names are visited; without, the map is scanned for changed values.
   */
  apply(map: ServiceMap, revisionOf?: RevisionLookup, changes?: MapChanges): InstanceMap {
    if (this.last?.input === map) return this.last.output;
    const touched = new Set<string>();
    const skippedChanged =
      changes && this.last && changes.previous === this.last.input
        ? this.applyChanges(map, changes, revisionOf, touched)
        : this.scan(map, revisionOf, touched);
    for (const name of touched) this.rebuild(name);
    if (skippedChanged) {
      this.skippedList = Object.freeze(
        [...this.skippedKeys].sort(([a], [b]) => byKey(a, b)).map(([key, reason]) => Object.freeze({ key, reason })),
      );
    }
    const output =
      this.last && touched.size === 0 && !skippedChanged
        ? this.last.output
        : new FrozenInstanceMap(
            [...this.lists].sort(([a], [b]) => byKey(a, b)),
            this.skippedList,
          );
    this.last = { input: map, output };
    return output;
  }

  /** Visits the keys a change set names; returns whether the set of skipped keys changed. */
  private applyChanges(map: ServiceMap, changes: MapChanges, revisionOf: RevisionLookup | undefined, touched: Set<string>): boolean {
    let skippedChanged = false;
    for (const key of changes.removed) {
      const previous = this.decoded.get(key);
      if (!previous) continue;
      this.decoded.delete(key);
      skippedChanged = this.forget(key, previous, touched) || skippedChanged;
    }
    for (const keys of [changes.added, changes.updated]) {
      for (const key of keys) skippedChanged = this.update(key, map[key], revisionOf, touched) || skippedChanged;
    }
    return skippedChanged;
  }

  /** Compares every key of `map` with what was decoded; returns whether the set of skipped keys changed. */
  private scan(map: ServiceMap, revisionOf: RevisionLookup | undefined, touched: Set<string>): boolean {
    let size = 0;
    let skippedChanged = false;
    for (const key in map) {
      size++;
      skippedChanged = this.update(key, map[key], revisionOf, touched) || skippedChanged;
    }
    // Every key of the map is decoded now: more decoded keys than the map has means some left it.
    if (this.decoded.size > size) {
      for (const [key, previous] of this.decoded) {
        if (!(key in map)) {
          this.decoded.delete(key);
          skippedChanged = this.forget(key, previous, touched) || skippedChanged;
        }
      }
    }
    return skippedChanged;
  }

  /** Decodes `key` again unless its value is the one already decoded. */
  private update(key: string, value: string, revisionOf: RevisionLookup | undefined, touched: Set<string>): boolean {
    const previous = this.decoded.get(key);
    if (previous?.value === value) return false;
    const forgot = previous ? this.forget(key, previous, touched) : false;
    return this.decode(key, value, revisionOf?.(key), touched) || forgot;
  }

  /** Decodes one value; returns whether the set of skipped keys changed. */
  private decode(key: string, value: string, revision: string | undefined, touched: Set<string>): boolean {
    let instances: readonly ServiceInstance[];
    try {
      const result = this.codec.decode({ key, value, revision });
      if (!Array.isArray(result)) throw new Error(messages.fieldType(`${this.codec.name} codec's decode()`, 'returning an array'));
      // slice, not a spread: a CLI decodes 10,000 values before V8 compiles this (the iterator costs).
      instances = Object.freeze(result.slice());
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.decoded.set(key, { value, instances: NONE, reason });
      this.skippedKeys.set(key, reason);
      this.logger?.warn(messages.instanceSkipped(this.prefix, key, this.codec.name, reason));
      return true;
    }
    this.decoded.set(key, { value, instances });
    for (const instance of instances) {
      let perKey = this.services.get(instance.name);
      if (!perKey) this.services.set(instance.name, (perKey = new Map()));
      const earlier = perKey.get(key);
      perKey.set(key, earlier ? [...earlier, instance] : [instance]);
      touched.add(instance.name);
    }
    return false;
  }

  /** Drops what a key contributed; returns whether the set of skipped keys changed. */
  private forget(key: string, previous: Decoded, touched: Set<string>): boolean {
    for (const instance of previous.instances) {
      const perKey = this.services.get(instance.name);
      if (perKey?.delete(key) && perKey.size === 0) this.services.delete(instance.name);
      touched.add(instance.name);
    }
    return previous.reason !== undefined && this.skippedKeys.delete(key);
  }

  private rebuild(name: string): void {
    const perKey = this.services.get(name);
    if (!perKey) {
      this.lists.delete(name);
      return;
    }
    const keys = Array.from(perKey.keys()).sort(byKey);
    // Loops, not a spread and flatMap: a CLI rebuilds every service once, before V8 compiles this.
    const list: ServiceInstance[] = [];
    for (const k of keys) {
      const instances = perKey.get(k);
      if (instances) for (let i = 0; i < instances.length; i++) list.push(instances[i]);
    }
    this.lists.set(name, Object.freeze(list));
  }
}

/**
 * The instance map of one read, as a new InstanceDecoder's `apply` gives it for the same keys and
 * values (services by name, each service's instances by key, then in the codec's order; skipped
 * entries by key, each logged once), without the bookkeeping a decoder keeps to decode the next
 * map: for a one-shot reader (the CLI's `ls` and `get`). `entries` holds each key once.
 */
export function decodeEntries(
  codec: InstanceCodec,
  prefix: string,
  entries: readonly InstanceEntry[],
  logger?: RegistryLogger,
): InstanceMap {
  /** Per service, its instances and the key of each (parallel arrays: no object per instance). */
  const perService = new Map<string, { keys: string[]; instances: ServiceInstance[] }>();
  const skipped: SkippedEntry[] = [];
  // An indexed loop, each entry handed on as it is: a CLI decodes 10,000 entries before V8 compiles this.
  for (let e = 0; e < entries.length; e++) {
    const entry = entries[e];
    const key = entry.key;
    let instances: readonly ServiceInstance[];
    try {
      const result = codec.decode(entry);
      if (!Array.isArray(result)) throw new Error(messages.fieldType(`${codec.name} codec's decode()`, 'returning an array'));
      instances = result;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      skipped.push(Object.freeze({ key, reason }));
      logger?.warn(messages.instanceSkipped(prefix, key, codec.name, reason));
      continue;
    }
    for (let i = 0; i < instances.length; i++) {
      const instance = instances[i];
      let service = perService.get(instance.name);
      if (!service) perService.set(instance.name, (service = { keys: [], instances: [] }));
      service.keys.push(key);
      service.instances.push(instance);
    }
  }
  const lists: [string, readonly ServiceInstance[]][] = [];
  for (const [name, { keys, instances }] of perService) lists.push([name, Object.freeze(sortedByKey(keys, instances))]);
  lists.sort(([a], [b]) => byKey(a, b));
  const byEntryKey = (a: SkippedEntry, b: SkippedEntry) => byKey(a.key, b.key);
  return new FrozenInstanceMap(lists, Object.freeze(skipped.sort(byEntryKey)));
}

/**
 * `instances` ordered by their `keys` (stable: a key's instances keep their order). A read comes
 * in etcd's key order, which is this order but for rare characters: checked, and sorted only then.
 */
function sortedByKey(keys: readonly string[], instances: ServiceInstance[]): ServiceInstance[] {
  let sorted = true;
  for (let i = 1; i < keys.length && sorted; i++) sorted = byKey(keys[i - 1], keys[i]) <= 0;
  if (sorted) return instances;
  const order = Array.from(keys.keys()).sort((a, b) => byKey(keys[a], keys[b]));
  return order.map((i) => instances[i]);
}
