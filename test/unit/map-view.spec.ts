import { inspect } from 'util';
import { Leaf, build, insert } from '../../lib/core/watch/persistent-map';
import { mapView } from '../../lib/core/watch/map-view';

const viewOf = (entries: Record<string, string>) => {
  const leaves = Object.entries(entries).map(([k, v]) => new Leaf(k, v, 1));
  return mapView(build(leaves), leaves.length);
};

describe('map view (what a handler is handed)', () => {
  it('reads like a plain record: index, in, keys, entries, spread, JSON, for-in', () => {
    const map = viewOf({ '/a': '1', '/b': '2' });
    expect(map['/a']).toBe('1');
    expect(map['/missing']).toBeUndefined();
    expect('/b' in map).toBe(true);
    expect('toString' in map).toBe(false);
    expect(Object.keys(map).sort()).toEqual(['/a', '/b']);
    expect(Object.entries(map).sort()).toEqual([
      ['/a', '1'],
      ['/b', '2'],
    ]);
    expect({ ...map }).toEqual({ '/a': '1', '/b': '2' });
    expect(JSON.parse(JSON.stringify(map))).toEqual({ '/a': '1', '/b': '2' });
    const seen: string[] = [];
    for (const k in map) seen.push(k);
    expect(seen.sort()).toEqual(['/a', '/b']);
    expect(Object.prototype.hasOwnProperty.call(map, '/a')).toBe(true);
    expect(Object.getPrototypeOf(map)).toBeNull();
    expect(map).toEqual({ '/a': '1', '/b': '2' });
  });

  it('refuses writes as a frozen object does, and says it is frozen', () => {
    const map = viewOf({ '/a': '1' }) as Record<string, string>;
    expect(() => {
      map['/a'] = 'x';
    }).toThrow(TypeError);
    expect(() => {
      map['/new'] = 'x';
    }).toThrow(TypeError);
    expect(() => delete map['/a']).toThrow(TypeError);
    expect(() => Object.defineProperty(map, '/z', { value: 'z' })).toThrow(TypeError);
    expect(Object.isFrozen(map)).toBe(true);
    // Still the same contents once frozen for good.
    expect(map['/a']).toBe('1');
    expect(Object.keys(map)).toEqual(['/a']);
    expect(Object.getOwnPropertyDescriptor(map, '/a')).toEqual({ value: '1', writable: false, enumerable: true, configurable: false });
  });

  it('stays as it was handed over when later versions change the same keys', () => {
    const leaves = [new Leaf('/a', '1', 1), new Leaf('/b', '2', 1)];
    const root = build(leaves);
    const before = mapView(root, 2);
    const after = mapView(insert(root, new Leaf('/a', 'changed', 2)), 2);
    expect(before['/a']).toBe('1');
    expect(after['/a']).toBe('changed');
  });

  it('shows its entries when inspected (console.log)', () => {
    const map = viewOf({ '/a': '1' });
    expect(inspect(map)).toContain("'/a': '1'");
  });

  it('keeps keys such as __proto__ as plain entries, also once frozen', () => {
    const real = mapView(build([new Leaf('__proto__', 'x', 1)]), 1);
    expect(real['__proto__']).toBe('x');
    expect(Object.keys(real)).toEqual(['__proto__']);
    Object.freeze(real);
    expect(Object.keys(real)).toEqual(['__proto__']);
    expect(real['__proto__']).toBe('x');
  });
});
