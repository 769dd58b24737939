import type { ServiceMap } from '../registry.interface';
import { REVISIONS } from '../map-revisions';
import { Leaf, Root, forEachLeaf, lookup } from './persistent-map';

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

interface ViewState {
  root: Root;
  size: number;
  keys?: string[];
  /** Set once the view is frozen for good (someone asked whether it is extensible, or froze it). */
  frozen?: Record<string, string>;
}

/** The keys of a view (in the trie's order), listed once per view on first need. */
function keysOf(s: ViewState): string[] {
  if (!s.keys) {
    const keys: string[] = new Array(s.size);
    let i = 0;
    forEachLeaf(s.root, (l) => (keys[i++] = l.key));
    s.keys = keys;
  }
  return s.keys;
}

const own = (s: ViewState, key: string | symbol): Leaf | undefined => (typeof key === 'string' ? lookup(s.root, key) : undefined);

/** The plain frozen object a view stands for (built when a handler asks for frozenness, or for inspection). */
function materialize(target: Record<string, string>, s: ViewState): Record<string, string> {
  if (!s.frozen) {
    Object.setPrototypeOf(target, null);
    for (const key of keysOf(s)) target[key] = lookup(s.root, key)!.value;
    s.frozen = Object.freeze(target);
  }
  return s.frozen;
}

/**
 * A read-only map of one version of a prefix, as handlers have always been given it: a plain
 * null-prototype record whose keys are the etcd keys (`map[key]`, `key in map`, `Object.keys`,
 * spread, `JSON.stringify` and `Object.isFrozen` all behave as on a frozen object), but backed by
 * the persistent trie of that version instead of a copy. Creating it is O(1); a key read is a trie
 * lookup; listing the keys is O(N) once per view. Writes fail as on a frozen object (a TypeError in
 * strict code). The first check of extensibility (`Object.isFrozen`, `Object.isExtensible`,
 * `Object.freeze`) turns the view into a real frozen object in O(N), once.
 */
export function mapView(root: Root, size: number): ServiceMap {
  // The target carries util.inspect's hook on its prototype (inspect reads a proxy's target).
  return new Proxy(Object.create(inspectable) as Record<string, string>, new ViewTraps({ root, size }));
}

/**
 * The traps of one view: methods of the prototype, so a view costs two small objects and no
 * closures (a view is made for every delivered version).
 */
class ViewTraps implements ProxyHandler<Record<string, string>> {
  constructor(private readonly s: ViewState) {}

  get(t: Record<string, string>, key: string | symbol): unknown {
    const s = this.s;
    if (key === REVISIONS) return (k: string) => revisionOf(s.root, k);
    if (s.frozen) return s.frozen[key as string];
    return key === INSPECT ? t[INSPECT as unknown as string] : own(s, key)?.value;
  }

  has(_: Record<string, string>, key: string | symbol): boolean {
    return this.s.frozen ? key in this.s.frozen : own(this.s, key) !== undefined;
  }

  ownKeys(): ArrayLike<string | symbol> {
    return this.s.frozen ? Reflect.ownKeys(this.s.frozen) : keysOf(this.s).slice();
  }

  getOwnPropertyDescriptor(_: Record<string, string>, key: string | symbol): PropertyDescriptor | undefined {
    if (this.s.frozen) return Reflect.getOwnPropertyDescriptor(this.s.frozen, key);
    const leaf = own(this.s, key);
    // Configurable while the target is not frozen yet (a proxy invariant); writable never.
    return leaf && { value: leaf.value, writable: false, enumerable: true, configurable: true };
  }

  getPrototypeOf(): object | null {
    return null;
  }

  isExtensible(t: Record<string, string>): boolean {
    materialize(t, this.s);
    return false;
  }

  preventExtensions(t: Record<string, string>): boolean {
    materialize(t, this.s);
    return true;
  }

  set(): boolean {
    return false;
  }

  /** Once frozen, a define that changes nothing succeeds (as Object.freeze does again), any other fails. */
  defineProperty(_: Record<string, string>, key: string | symbol, desc: PropertyDescriptor): boolean {
    return this.s.frozen ? Reflect.defineProperty(this.s.frozen, key, desc) : false;
  }

  deleteProperty(): boolean {
    return false;
  }

  setPrototypeOf(): boolean {
    return false;
  }
}

function revisionOf(root: Root, key: string): string | undefined {
  const revision = lookup(root, key)?.revision;
  return revision ? String(revision) : undefined;
}

/** util.inspect shows a proxy's target: this hook shows the entries instead. */
const inspectable: object = Object.create(null, {
  [INSPECT]: {
    value(this: ServiceMap, _depth: number, options: object, inspect: (v: unknown, o: object) => string) {
      return inspect(Object.assign(Object.create(null), this), options);
    },
  },
});
