import { ServiceMapState } from '../../lib/core/watch/service-map-state';

describe('ServiceMapState', () => {
  it('moves its version only on real changes', () => {
    const s = new ServiceMapState();
    expect(s.put('a', '1')).toBe(true);
    expect(s.put('a', '1')).toBe(false);
    expect(s.delete('missing')).toBe(false);
    expect(s.version).toBe(1);
    expect(s.replace(new Map([['a', '1']]))).toBe(false);
    expect(s.replace(new Map([['a', '2']]))).toBe(true);
    expect(s.version).toBe(2);
  });

  it("follows etcd's revision of a key re-put with the same value, without a new version (the anti-entropy check compares the newest)", () => {
    const s = new ServiceMapState();
    s.put('a', '1', '10');
    s.put('b', '1', '11');
    expect(s.newestRevision()).toBe(11);
    expect(s.put('a', '1', '15')).toBe(false);
    expect(s.version).toBe(2);
    expect(s.newestRevision()).toBe(15);
    // A read with the same values and other revisions: no change, the revisions are taken.
    expect(
      s.replace(
        new Map([
          ['a', '1'],
          ['b', '1'],
        ]),
        new Map([
          ['a', '20'],
          ['b', '21'],
        ]),
      ),
    ).toBe(false);
    expect(s.version).toBe(2);
    expect(s.newestRevision()).toBe(21);
    s.delete('b');
    expect(s.newestRevision()).toBe(20);
  });

  it('builds one frozen snapshot per version and a fresh one after a change', () => {
    const s = new ServiceMapState();
    s.put('a', '1');
    const first = s.snapshot();
    expect(s.snapshot().map).toBe(first.map);
    expect(Object.isFrozen(first.map)).toBe(true);
    s.put('b', '2');
    const second = s.snapshot();
    expect(second.map).not.toBe(first.map);
    expect(first.map).toEqual({ a: '1' });
    expect(second.map).toEqual({ a: '1', b: '2' });
  });

  it('keeps keys such as __proto__ as plain entries', () => {
    const s = new ServiceMapState();
    s.put('__proto__', 'x');
    expect(Object.keys(s.snapshot().map)).toEqual(['__proto__']);
    expect(s.snapshot().map['__proto__']).toBe('x');
  });

  it('tells what changed between two handed-over versions, and the first version as all added', () => {
    const s = new ServiceMapState();
    s.replace(
      new Map([
        ['a', '1'],
        ['b', '2'],
        ['c', '3'],
      ]),
    );
    const first = s.snapshot();
    const initial = s.changesBetween(undefined, first);
    expect(initial.previous).toBeUndefined();
    expect([...initial.added].sort()).toEqual(['a', 'b', 'c']);
    s.put('a', '10');
    s.delete('b');
    s.put('d', '4');
    s.put('d', '4');
    const second = s.snapshot();
    const changes = s.changesBetween(first, second);
    expect(changes.previous).toBe(first.map);
    expect(changes.added).toEqual(['d']);
    expect(changes.removed).toEqual(['b']);
    expect(changes.updated).toEqual(['a']);
    expect(Object.isFrozen(changes.added)).toBe(true);
    // Read-only, and shown as its four fields.
    expect(() => ((changes as { added: unknown }).added = [])).toThrow(TypeError);
    expect(() => ((changes as { previous: unknown }).previous = undefined)).toThrow(TypeError);
    expect(changes.added).toEqual(['d']);
    expect(JSON.parse(JSON.stringify(changes))).toEqual({
      previous: { a: '1', b: '2', c: '3' },
      added: ['d'],
      removed: ['b'],
      updated: ['a'],
    });
    // The first map is still what it was.
    expect(first.map).toEqual({ a: '1', b: '2', c: '3' });
    expect(second.map).toEqual({ a: '10', c: '3', d: '4' });
  });
});
