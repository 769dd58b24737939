import { Leaf, Root, build, diff, forEachLeaf, hashOf, insert, lookup, remove } from '../../lib/core/watch/persistent-map';

/** A deterministic pseudo-random sequence (the test must fail the same way twice). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

const contents = (root: Root): Map<string, string> => {
  const out = new Map<string, string>();
  forEachLeaf(root, (l) => out.set(l.key, l.value));
  return out;
};

describe('persistent map (hash trie)', () => {
  it('agrees with a Map over thousands of random puts and deletes, and every old root stays as it was', () => {
    const next = random(7);
    const model = new Map<string, string>();
    let root: Root;
    const history: { root: Root; model: Map<string, string> }[] = [];
    for (let i = 0; i < 5000; i++) {
      const key = `/svc/${Math.floor(next() * 800)}`;
      if (next() < 0.35) {
        root = remove(root, key);
        model.delete(key);
      } else {
        const value = String(Math.floor(next() * 5));
        root = insert(root, new Leaf(key, value, i));
        model.set(key, value);
      }
      if (i % 500 === 0) history.push({ root, model: new Map(model) });
    }
    expect(contents(root)).toEqual(model);
    for (const [key, value] of model) expect(lookup(root, key)?.value).toBe(value);
    expect(lookup(root, '/svc/absent')).toBeUndefined();
    for (const h of history) expect(contents(h.root)).toEqual(h.model);
  });

  it('diffs two versions into added, removed and updated keys', () => {
    const next = random(11);
    let root = build(Array.from({ length: 3000 }, (_, i) => new Leaf(`/k/${i}`, 'a', 1)));
    const before = root;
    const model = contents(root);
    const expected = { added: new Set<string>(), removed: new Set<string>(), updated: new Set<string>() };
    for (let i = 0; i < 300; i++) {
      const key = `/k/${Math.floor(next() * 3500)}`;
      const op = next();
      if (op < 0.3) {
        root = remove(root, key);
      } else {
        root = insert(root, new Leaf(key, op < 0.6 ? 'a' : `b${i}`, 2));
      }
    }
    const after = contents(root);
    for (const key of new Set([...model.keys(), ...after.keys()])) {
      if (!model.has(key)) expected.added.add(key);
      else if (!after.has(key)) expected.removed.add(key);
      else if (model.get(key) !== after.get(key)) expected.updated.add(key);
    }
    const d = diff(before, root);
    expect(new Set(d.added)).toEqual(expected.added);
    expect(new Set(d.removed)).toEqual(expected.removed);
    expect(new Set(d.updated)).toEqual(expected.updated);
    expect(diff(root, root)).toEqual({ added: [], removed: [], updated: [] });
    expect(new Set(diff(undefined, root).added)).toEqual(new Set(after.keys()));
  });

  it('keeps keys whose hashes collide apart', () => {
    const [a, b] = ['/c/4vl8', '/c/lpd6'];
    expect(hashOf(a)).toBe(hashOf(b));
    let root = insert(insert(undefined, new Leaf(a, '1', 1)), new Leaf(b, '2', 2));
    root = insert(root, new Leaf('/c/other', '3', 3));
    expect(lookup(root, a)?.value).toBe('1');
    expect(lookup(root, b)?.value).toBe('2');
    const without = remove(root, a);
    expect(lookup(without, a)).toBeUndefined();
    expect(lookup(without, b)?.value).toBe('2');
    expect(diff(root, without)).toEqual({ added: [], removed: [a], updated: [] });
    expect(contents(build([new Leaf(a, '1', 1), new Leaf(b, '2', 2)]))).toEqual(
      new Map([
        [a, '1'],
        [b, '2'],
      ]),
    );
  });

  it('leaves a large map untouched by later versions', () => {
    const root = build(Array.from({ length: 100_000 }, (_, i) => new Leaf(`/big/${i}`, 'v', 1)));
    let r = root;
    for (let i = 0; i < 1000; i++) r = insert(r, new Leaf(`/big/${i}`, `w${i}`, 2));
    expect(diff(root, r).updated).toHaveLength(1000);
    expect(lookup(root, '/big/5')?.value).toBe('v');
    expect(lookup(r, '/big/5')?.value).toBe('w5');
  });
});
