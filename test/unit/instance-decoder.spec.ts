import { INSTANCE_CODECS, InstanceCodec, InstanceDecoder, RegistryLogger, ServiceMap } from '../../lib/core';
import { decodeEntries } from '../../lib/core/instances/instance-decoder';

/** The etcd-service codec, counting its decode calls. */
function countingCodec(): InstanceCodec & { calls: string[] } {
  const calls: string[] = [];
  return { name: 'counting', calls, decode: (entry) => (calls.push(entry.key), INSTANCE_CODECS['etcd-service'].decode(entry)) };
}

function recordingLogger(): RegistryLogger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, log: () => undefined, error: () => undefined, warn: (m) => warnings.push(m) };
}

const frozen = (entries: Record<string, string>): ServiceMap => Object.freeze(Object.assign(Object.create(null), entries));

function fleet(n: number): Record<string, string> {
  const entries: Record<string, string> = {};
  for (let i = 0; i < n; i++) entries[`/services/svc-${i % 10}/i-${String(i).padStart(5, '0')}`] = `10.0.${i >> 8}.${i & 255}:3000`;
  return entries;
}

describe('InstanceDecoder', () => {
  it('given a change set, visits only the keys it names (no scan of the map)', () => {
    const codec = countingCodec();
    const decoder = new InstanceDecoder(codec, '/services/');
    const entries = fleet(1000);
    const firstMap = frozen(entries);
    decoder.apply(firstMap);
    codec.calls.length = 0;
    const next = { ...entries, '/services/svc-1/i-00001': '10.8.8.8:3000', '/services/svc-2/new': '10.7.7.7:3000' };
    delete (next as Record<string, string>)['/services/svc-5/i-00005'];
    // A map that counts listings of its keys: a scan would list them.
    let listings = 0;
    const map = new Proxy(frozen(next), { ownKeys: (t) => (listings++, Reflect.ownKeys(t)) });
    const out = decoder.apply(map, undefined, {
      previous: firstMap,
      added: ['/services/svc-2/new'],
      removed: ['/services/svc-5/i-00005'],
      updated: ['/services/svc-1/i-00001'],
    });
    expect(listings).toBe(0);
    expect(codec.calls.sort()).toEqual(['/services/svc-1/i-00001', '/services/svc-2/new']);
    expect(out.all()).toHaveLength(1000);
    expect(out.get('svc-5')?.some((i) => i.id === 'i-00005')).toBe(false);
    expect(out.get('svc-2')?.some((i) => i.address === '10.7.7.7:3000')).toBe(true);
    // A change set from another map than the one decoded last is not trusted: the map is scanned.
    decoder.apply(frozen(entries), undefined, { previous: firstMap, added: [], removed: [], updated: [] });
    expect(listings).toBe(0);
    expect(decoder.apply(frozen(fleet(1000))).all()).toHaveLength(1000);
  });

  it('decodes each key once, then one change costs one decode, at 10,000 instances', () => {
    const codec = countingCodec();
    const decoder = new InstanceDecoder(codec, '/services/');
    const entries = fleet(10_000);
    const first = decoder.apply(frozen(entries));
    expect(codec.calls).toHaveLength(10_000);
    expect(first.all()).toHaveLength(10_000);

    codec.calls.length = 0;
    entries['/services/svc-3/i-00003'] = '10.9.9.9:3000';
    const second = decoder.apply(frozen(entries));
    expect(codec.calls).toEqual(['/services/svc-3/i-00003']);
    expect(second.get('svc-3')?.find((i) => i.id === 'i-00003')?.address).toBe('10.9.9.9:3000');
    // Services the change did not touch keep their (frozen) list: same array, not a copy.
    expect(second.get('svc-4')).toBe(first.get('svc-4'));
    expect(second.get('svc-3')).not.toBe(first.get('svc-3'));

    codec.calls.length = 0;
    entries['/services/svc-11/new'] = '10.1.1.1:1';
    delete entries['/services/svc-5/i-00005'];
    const third = decoder.apply(frozen(entries));
    expect(codec.calls).toEqual(['/services/svc-11/new']);
    expect(third.get('svc-11')?.map((i) => i.address)).toEqual(['10.1.1.1:1']);
    expect(third.get('svc-5')?.some((i) => i.id === 'i-00005')).toBe(false);
    expect(third.all()).toHaveLength(10_000);
  });

  it('orders services and their instances by key, and drops a service whose last instance left', () => {
    const decoder = new InstanceDecoder(INSTANCE_CODECS['etcd-service'], '/s/');
    const map = decoder.apply(frozen({ '/s/b/2': 'h:2', '/s/a/9': 'h:9', '/s/b/1': 'h:1' }));
    expect([...map.keys()]).toEqual(['a', 'b']);
    expect(map.get('b')?.map((i) => i.id)).toEqual(['1', '2']);
    const after = decoder.apply(frozen({ '/s/b/2': 'h:2', '/s/b/1': 'h:1' }));
    expect([...after.keys()]).toEqual(['b']);
    expect(after.has('a')).toBe(false);
  });

  it('skips a value it cannot read, lists it in `skipped`, logs it once per key and value, and delivers the rest', () => {
    const logger = recordingLogger();
    const decoder = new InstanceDecoder(INSTANCE_CODECS['etcd-service'], '/s/', logger);
    const entries: Record<string, string> = { '/s/a/1': 'h:1', '/s/a/bad': 'not an address', '/s/b/1': 'h:3' };
    const first = decoder.apply(frozen(entries));
    expect(first.all().map((i) => i.key)).toEqual(['/s/a/1', '/s/b/1']);
    expect(first.skipped).toEqual([{ key: '/s/a/bad', reason: 'the value "not an address" is not host:port' }]);
    expect(logger.warnings).toEqual([
      'Watch on "/s/": skipped "/s/a/bad", the etcd-service codec cannot read it (the value "not an address" is not host:port); the other instances are delivered.',
    ]);

    entries['/s/b/2'] = 'h:4';
    const second = decoder.apply(frozen(entries));
    expect(second.skipped).toBe(first.skipped);
    expect(logger.warnings).toHaveLength(1);

    entries['/s/a/bad'] = 'still bad';
    expect(decoder.apply(frozen(entries)).skipped).toEqual([{ key: '/s/a/bad', reason: 'the value "still bad" is not host:port' }]);
    expect(logger.warnings).toHaveLength(2);

    entries['/s/a/bad'] = 'h:5';
    const fixed = decoder.apply(frozen(entries));
    expect(fixed.skipped).toEqual([]);
    expect(fixed.get('a')?.map((i) => i.address)).toEqual(['h:1', 'h:5']);
  });

  it('a codec that throws something else or returns no array only skips that key', () => {
    let n = 0;
    const codec: InstanceCodec = {
      name: 'odd',
      decode: (e) => {
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- a codec that throws a non-Error is the case under test
        if (e.key.endsWith('/x')) throw 'a string';
        if (e.key.endsWith('/y')) return 'nope' as never;
        n++;
        return INSTANCE_CODECS['etcd-service'].decode(e);
      },
    };
    const map = new InstanceDecoder(codec, '/s/').apply(frozen({ '/s/a/x': 'h:1', '/s/a/y': 'h:1', '/s/a/z': 'h:1' }));
    expect(n).toBe(1);
    expect(map.skipped.map((s) => s.key)).toEqual(['/s/a/x', '/s/a/y']);
    expect(map.skipped[0].reason).toBe('a string');
  });

  it('reads the revision of changed keys from the lookup', () => {
    const decoder = new InstanceDecoder(INSTANCE_CODECS['etcd-service'], '/s/');
    const asked: string[] = [];
    const lookup = (key: string) => (asked.push(key), key === '/s/a/1' ? '41' : '42');
    const first = decoder.apply(frozen({ '/s/a/1': 'h:1', '/s/a/2': 'h:2' }), lookup);
    expect(first.get('a')?.map((i) => i.revision)).toEqual(['41', '42']);
    asked.length = 0;
    decoder.apply(frozen({ '/s/a/1': 'h:1', '/s/a/2': 'h:9' }), lookup);
    expect(asked).toEqual(['/s/a/2']);
  });

  it('returns the same map for the same input, and a map that refuses changes', () => {
    const decoder = new InstanceDecoder(INSTANCE_CODECS['etcd-service'], '/s/');
    const input = frozen({ '/s/a/1': 'h:1' });
    const map = decoder.apply(input);
    expect(decoder.apply(input)).toBe(map);
    const writable = map as unknown as Map<string, unknown>;
    expect(() => writable.set('b', [])).toThrow(/read-only/);
    expect(() => writable.delete('a')).toThrow(/read-only/);
    expect(() => writable.clear()).toThrow(/read-only/);
    expect(Object.isFrozen(map.get('a'))).toBe(true);
    expect(new Map(map).size).toBe(1);
  });
});

describe('decodeEntries (one-shot readers: the CLI)', () => {
  /** Two instances per key for keys under `multi/`, a non-array for `odd/`, a throw for `bad/`. */
  const codec: InstanceCodec = {
    name: 'test',
    decode(entry) {
      if (entry.key.startsWith('bad/')) throw new Error(`cannot read ${entry.value}`);
      if (entry.key.startsWith('odd/')) return 'not an array' as unknown as [];
      const [name, id] = entry.key.split('/');
      const one = (n: string, i: string) => Object.freeze({ name: n, id: i, address: entry.value, revision: entry.revision }) as never;
      return entry.key.startsWith('multi/') ? [one(`svc-${id}`, `${id}-a`), one('shared', `${id}-b`)] : [one(name, id)];
    },
  };
  const entries = [
    { key: 'zeta/2', value: '10.0.0.2:80', revision: '7' },
    { key: 'multi/y', value: '10.0.0.9:80', revision: '3' },
    { key: 'alpha/1', value: '10.0.0.1:80', revision: '5' },
    { key: 'bad/x', value: '???', revision: '4' },
    { key: 'shared/m', value: '10.0.0.8:80', revision: '9' },
    { key: 'multi/b', value: '10.0.0.3:80', revision: '2' },
    { key: 'odd/1', value: 'x', revision: '1' },
    { key: 'zeta/10', value: '10.0.0.10:80', revision: '8' },
    { key: 'alpha/é', value: '10.0.0.4:80', revision: '6' },
  ];

  it('gives what a new InstanceDecoder gives for the same keys: services, order, revisions, skipped, warnings', () => {
    const warnings = { decoder: [] as string[], once: [] as string[] };
    const logger = (into: string[]): RegistryLogger => ({
      log: () => undefined,
      warn: (m: string) => into.push(m),
      error: () => undefined,
    });
    const map: Record<string, string> = {};
    const revisions = new Map<string, string>();
    for (const e of entries) {
      map[e.key] = e.value;
      revisions.set(e.key, e.revision);
    }
    const expected = new InstanceDecoder(codec, '/p/', logger(warnings.decoder)).apply(map, (k) => revisions.get(k));
    const actual = decodeEntries(codec, '/p/', entries, logger(warnings.once));
    expect([...actual.entries()]).toEqual([...expected.entries()]);
    expect(actual.all()).toEqual(expected.all());
    expect(actual.skipped).toEqual(expected.skipped);
    expect(actual.skipped.map((s) => s.key)).toEqual(['bad/x', 'odd/1']);
    expect(warnings.once).toEqual(warnings.decoder);
    expect(Object.isFrozen(actual.get('shared'))).toBe(true);
    expect(() => (actual as unknown as Map<string, unknown>).delete('shared')).toThrow(TypeError);
  });

  it('an empty read: an empty map', () => {
    const actual = decodeEntries(INSTANCE_CODECS.json, '/p/', []);
    expect([actual.size, actual.all(), actual.skipped]).toEqual([0, [], []]);
  });
});
