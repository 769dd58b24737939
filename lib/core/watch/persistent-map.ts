/**
 * An immutable string map shared between versions (a hash array mapped trie): a put or a delete
 * returns a new root and copies only the path to the key (at most 7 nodes of up to 32 slots), so a
 * version costs O(log32 N) whatever the size of the map, and every older root stays valid and
 * unchanged. `diff` walks only the nodes two roots do not share, so the change set between two
 * versions costs what changed, not the size of the map.
 */

/** One key, its value and etcd's mod_revision of that value (0 when unknown). */
export class Leaf {
  constructor(
    readonly key: string,
    readonly value: string,
    readonly revision: number,
  ) {}
}

/** Up to 32 children, present where the bitmap has a bit (ordered by slot). */
class Branch {
  constructor(
    readonly bitmap: number,
    readonly children: readonly Node[],
  ) {}
}

/** Keys whose 32-bit hashes are all equal (below the last level). */
class Collision {
  constructor(
    readonly hash: number,
    readonly leaves: readonly Leaf[],
  ) {}
}

type Node = Leaf | Branch | Collision;
export type Root = Node | undefined;

const BITS = 5;
const MASK = 31;
const MAX_SHIFT = 30;

/** FNV-1a over UTF-16 code units: spreads keys that share a long prefix. */
export function hashOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const popcount = (x: number): number => {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
};

export function lookup(root: Root, key: string): Leaf | undefined {
  if (!root) return undefined;
  const hash = hashOf(key);
  let node: Node = root;
  for (let shift = 0; ; shift += BITS) {
    if (node instanceof Leaf) return node.key === key ? node : undefined;
    if (node instanceof Collision) return node.leaves.find((l) => l.key === key);
    const bit = 1 << ((hash >>> shift) & MASK);
    if ((node.bitmap & bit) === 0) return undefined;
    node = node.children[popcount(node.bitmap & (bit - 1))];
  }
}

/** The root with `leaf` in place of its key's entry (the same root when nothing would change). */
export function insert(root: Root, leaf: Leaf): Node {
  return root ? put(root, leaf, hashOf(leaf.key), 0) : leaf;
}

/** The root without `key` (the same root when the key is absent). */
export function remove(root: Root, key: string): Root {
  return root ? del(root, key, hashOf(key), 0) : undefined;
}

function put(node: Node, leaf: Leaf, hash: number, shift: number): Node {
  if (node instanceof Leaf) {
    if (node.key === leaf.key) return node.value === leaf.value && node.revision === leaf.revision ? node : leaf;
    return pair(node, hashOf(node.key), leaf, hash, shift);
  }
  if (node instanceof Collision) {
    if (node.hash !== hash) return pair(node, node.hash, leaf, hash, shift);
    const i = node.leaves.findIndex((l) => l.key === leaf.key);
    const leaves = [...node.leaves];
    if (i < 0) leaves.push(leaf);
    else leaves[i] = leaf;
    return new Collision(hash, leaves);
  }
  const bit = 1 << ((hash >>> shift) & MASK);
  const at = popcount(node.bitmap & (bit - 1));
  const children = [...node.children];
  if ((node.bitmap & bit) === 0) {
    children.splice(at, 0, leaf);
    return new Branch(node.bitmap | bit, children);
  }
  const next = put(children[at], leaf, hash, shift + BITS);
  if (next === children[at]) return node;
  children[at] = next;
  return new Branch(node.bitmap, children);
}

/** A node holding `a` (hash `ha`) and `b` (hash `hb`), both below `shift`. */
function pair(a: Node, ha: number, b: Leaf, hb: number, shift: number): Node {
  if (shift > MAX_SHIFT) return new Collision(hb, a instanceof Collision ? [...a.leaves, b] : [a as Leaf, b]);
  const ia = (ha >>> shift) & MASK;
  const ib = (hb >>> shift) & MASK;
  if (ia === ib) return new Branch(1 << ia, [pair(a, ha, b, hb, shift + BITS)]);
  return new Branch((1 << ia) | (1 << ib), ia < ib ? [a, b] : [b, a]);
}

function del(node: Node, key: string, hash: number, shift: number): Root {
  if (node instanceof Leaf) return node.key === key ? undefined : node;
  if (node instanceof Collision) {
    const leaves = node.leaves.filter((l) => l.key !== key);
    if (leaves.length === node.leaves.length) return node;
    return leaves.length === 1 ? leaves[0] : new Collision(node.hash, leaves);
  }
  const bit = 1 << ((hash >>> shift) & MASK);
  if ((node.bitmap & bit) === 0) return node;
  const at = popcount(node.bitmap & (bit - 1));
  const next = del(node.children[at], key, hash, shift + BITS);
  if (next === node.children[at]) return node;
  const children = [...node.children];
  if (next) children[at] = next;
  else children.splice(at, 1);
  const bitmap = next ? node.bitmap : node.bitmap & ~bit;
  if (children.length === 0) return undefined;
  // A branch left with one leaf (or collision) collapses into it, so equal maps have equal shapes.
  if (children.length === 1 && !(children[0] instanceof Branch)) return children[0];
  return new Branch(bitmap, children);
}

/** A root holding `leaves` (distinct keys), built in one pass without intermediate versions. */
export function build(leaves: readonly Leaf[]): Root {
  if (leaves.length === 0) return undefined;
  return buildAt(
    leaves,
    leaves.map((l) => hashOf(l.key)),
    0,
  );
}

function buildAt(leaves: readonly Leaf[], hashes: readonly number[], shift: number): Node {
  if (leaves.length === 1) return leaves[0];
  if (shift > MAX_SHIFT) return new Collision(hashes[0], leaves);
  const buckets: { leaves: Leaf[]; hashes: number[] }[] = [];
  let bitmap = 0;
  for (let i = 0; i < leaves.length; i++) {
    const slot = (hashes[i] >>> shift) & MASK;
    bitmap |= 1 << slot;
    (buckets[slot] ??= { leaves: [], hashes: [] }).leaves.push(leaves[i]);
    buckets[slot].hashes.push(hashes[i]);
  }
  if (popcount(bitmap) === 1) {
    const only = buckets.find((b) => b)!;
    // All in one slot: if they also share every remaining bit, they are a collision.
    if (only.hashes.every((h) => h === only.hashes[0])) return new Collision(only.hashes[0], only.leaves);
  }
  const children: Node[] = [];
  for (const b of buckets) if (b) children.push(buildAt(b.leaves, b.hashes, shift + BITS));
  return new Branch(bitmap, children);
}

/** Calls `fn` with every leaf (in hash order). */
export function forEachLeaf(root: Root, fn: (leaf: Leaf) => void): void {
  if (!root) return;
  if (root instanceof Leaf) fn(root);
  else if (root instanceof Collision) root.leaves.forEach(fn);
  else for (const c of root.children) forEachLeaf(c, fn);
}

export interface Diff {
  added: string[];
  removed: string[];
  updated: string[];
}

/** The keys that differ from `from` to `to`, visiting only the nodes the two roots do not share. */
export function diff(from: Root, to: Root, out: Diff = { added: [], removed: [], updated: [] }): Diff {
  if (from === to) return out;
  if (from instanceof Branch && to instanceof Branch) {
    const both = from.bitmap | to.bitmap;
    for (let slot = 0; slot < 32; slot++) {
      const bit = 1 << slot;
      if ((both & bit) === 0) continue;
      const a = from.bitmap & bit ? from.children[popcount(from.bitmap & (bit - 1))] : undefined;
      const b = to.bitmap & bit ? to.children[popcount(to.bitmap & (bit - 1))] : undefined;
      diff(a, b, out);
    }
    return out;
  }
  // A leaf or a collision on one side: that side is small, compare the two sets of leaves.
  const before = new Map<string, Leaf>();
  forEachLeaf(from, (l) => before.set(l.key, l));
  forEachLeaf(to, (l) => {
    const old = before.get(l.key);
    if (!old) out.added.push(l.key);
    else {
      before.delete(l.key);
      if (old.value !== l.value) out.updated.push(l.key);
    }
  });
  for (const key of before.keys()) out.removed.push(key);
  return out;
}
