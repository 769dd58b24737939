import type { MapChanges, ServiceMap } from '../registry.interface';
import { mapView } from './map-view';
import { Leaf, Root, build, diff, forEachLeaf, insert, lookup, remove } from './persistent-map';

/** One version of the map as handed to handlers: the view, and the trie it reads. */
export interface MapSnapshot {
  readonly version: number;
  readonly map: ServiceMap;
  readonly root: Root;
}

const NO_KEYS: readonly string[] = Object.freeze([]);

/** etcd's mod_revision as a small integer (a string in etcd3's answers); 0 when unknown. */
export const revisionNumber = (revision?: string): number => (revision === undefined ? 0 : Number(revision));

/**
 * The live map of one prefix and its version. The version moves only when the map really
 * changes (a put of the same value, or a delete of an absent key, is not a change), so
 * handlers are never called for nothing.
 *
 * Versions share structure (a persistent trie): applying a change costs O(log N), the map of a
 * version is a read-only view of its trie made in O(1) and shared by every handler handed that
 * version, and the change set between two versions costs what changed. An old map a handler kept
 * stays exactly as it was handed over.
 */
export class ServiceMapState {
  private root: Root;
  private count = 0;
  private versionValue = 0;
  private snapshotValue?: MapSnapshot;

  get version(): number {
    return this.versionValue;
  }

  get size(): number {
    return this.count;
  }

  /**
   * Applies a put; returns whether the map changed. A put of the same value is no change, but the
   * key's revision follows etcd's (the anti-entropy check compares the newest one with etcd's).
   */
  put(key: string, value: string, revision?: string): boolean {
    const before = lookup(this.root, key);
    const leaf = new Leaf(key, value, revisionNumber(revision));
    if (before?.value === value) {
      if (before.revision !== leaf.revision) this.root = insert(this.root, leaf);
      return false;
    }
    this.root = insert(this.root, leaf);
    if (!before) this.count++;
    this.versionValue++;
    return true;
  }

  /** Applies a delete; returns whether the map changed. */
  delete(key: string): boolean {
    const next = remove(this.root, key);
    if (next === this.root) return false;
    this.root = next;
    this.count--;
    this.versionValue++;
    return true;
  }

  /** Replaces the whole map; returns whether it changed. */
  replace(next: Map<string, string>, revisions?: Map<string, string>): boolean {
    const leaves: Leaf[] = [];
    for (const [k, v] of next) leaves.push(new Leaf(k, v, revisionNumber(revisions?.get(k))));
    return this.replaceLeaves(leaves);
  }

  /**
   * Replaces the whole map with `leaves` (distinct keys: a read of the prefix); returns whether it
   * changed. Same values with other revisions are no change, but the revisions are taken.
   */
  replaceLeaves(leaves: Leaf[]): boolean {
    if (leaves.length === this.count && leaves.every((l) => lookup(this.root, l.key)?.value === l.value)) {
      if (leaves.some((l) => lookup(this.root, l.key)?.revision !== l.revision)) this.root = build(leaves);
      return false;
    }
    this.root = build(leaves);
    this.count = leaves.length;
    this.versionValue++;
    return true;
  }

  /** The newest mod_revision among the keys (0 when empty or unknown). O(N): for occasional checks. */
  newestRevision(): number {
    let newest = 0;
    forEachLeaf(this.root, (l) => {
      if (l.revision > newest) newest = l.revision;
    });
    return newest;
  }

  /** The current version's map, made at most once per version (O(1): a view of the trie). */
  snapshot(): MapSnapshot {
    if (this.snapshotValue?.version !== this.versionValue) {
      const root = this.root;
      // The view hands out its revisions itself (map-revisions.ts: REVISIONS).
      this.snapshotValue = { version: this.versionValue, map: mapView(root, this.count), root };
    }
    return this.snapshotValue;
  }

  /** What changed from `from` (a snapshot handed over earlier; none: the empty map) to `to`. */
  changesBetween(from: MapSnapshot | undefined, to: MapSnapshot): MapChanges {
    return lazyChanges(from?.map, from?.root, to.root);
  }
}

const STATE = Symbol('changes');
const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/** The diff of two tries, computed at most once whichever change sets share it. */
interface DiffCell {
  readonly from: Root;
  readonly to: Root;
  value?: { added: readonly string[]; removed: readonly string[]; updated: readonly string[] };
}

interface ChangesState<M> {
  readonly previous: M | undefined;
  readonly diff: DiffCell;
}

/**
 * The change set, computed on first read (a handler that ignores it costs nothing). Read-only:
 * every field is a getter of the prototype (an assignment throws in strict code), and the keys
 * arrays are frozen. One small object per call: no closures, no accessors of its own to freeze.
 */
class LazyChanges<M = ServiceMap> implements MapChanges<M> {
  private readonly [STATE]: ChangesState<M>;

  constructor(previous: M | undefined, diff: DiffCell) {
    this[STATE] = { previous, diff };
  }

  get previous(): M | undefined {
    return this[STATE].previous;
  }

  get added(): readonly string[] {
    return this.computed().added;
  }

  get removed(): readonly string[] {
    return this.computed().removed;
  }

  get updated(): readonly string[] {
    return this.computed().updated;
  }

  /** What JSON.stringify and util.inspect show: the four fields, as a plain object. */
  toJSON(): MapChanges<M> {
    return { previous: this.previous, added: this.added, removed: this.removed, updated: this.updated };
  }

  [INSPECT](): MapChanges<M> {
    return this.toJSON();
  }

  /** The same keys with another `previous`, sharing this set's (lazy) diff. */
  withPrevious<P>(previous: P | undefined): LazyChanges<P> {
    return new LazyChanges(previous, this[STATE].diff);
  }

  private computed(): NonNullable<DiffCell['value']> {
    const cell = this[STATE].diff;
    if (!cell.value) {
      const d = diff(cell.from, cell.to);
      const frozen = (keys: string[]) => (keys.length ? Object.freeze(keys) : NO_KEYS);
      cell.value = { added: frozen(d.added), removed: frozen(d.removed), updated: frozen(d.updated) };
    }
    return cell.value;
  }
}

function lazyChanges(previous: ServiceMap | undefined, from: Root, to: Root): MapChanges {
  return new LazyChanges(previous, { from, to });
}

/**
 * `changes` (a delivery's change set) with `previous` in place of the service map it was computed
 * from: the map a handler built from it (watchInstances: the instance map). The keys stay the
 * core's, computed once and only if read. A change set of another Registry implementation is read
 * through on demand.
 */
export function withPrevious<M>(changes: MapChanges, previous: M | undefined): MapChanges<M> {
  if (changes instanceof LazyChanges) return changes.withPrevious(previous);
  return Object.freeze({
    previous,
    get added() {
      return changes.added;
    },
    get removed() {
      return changes.removed;
    },
    get updated() {
      return changes.updated;
    },
  });
}
