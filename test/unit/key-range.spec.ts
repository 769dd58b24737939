import { commonPrefix, commonPrefixOf, coveringPrefixes, coversDenied, hasPrefix, resumeRevision } from '../../lib/core/lease/key-range';

const b = (s: string) => Buffer.from(s);
const strs = (bufs: Buffer[]) => bufs.map((x) => x.toString());

describe('key ranges of the ownership guard (pure)', () => {
  it('common prefix of keys, on bytes', () => {
    expect(commonPrefix(b('/services/a/1'), b('/services/b/2')).toString()).toBe('/services/');
    expect(commonPrefix(b('/a/1'), b('/a/1')).toString()).toBe('/a/1');
    expect(commonPrefix(b('/a'), b('x')).length).toBe(0);
    expect(commonPrefixOf([b('/s/a/10'), b('/s/a/11'), b('/s/a/2')]).toString()).toBe('/s/a/');
    expect(commonPrefixOf([b('/only/key')]).toString()).toBe('/only/key');
  });

  it('never splits a character: two emoji sharing their first UTF-16 unit share only their common UTF-8 bytes', () => {
    const p = commonPrefix(b('/😀'), b('/😁'));
    // U+1F600 and U+1F601 are F0 9F 98 80 / F0 9F 98 81: three common bytes, a valid prefix of both encodings.
    expect([...p]).toEqual([0x2f, 0xf0, 0x9f, 0x98]);
    expect(hasPrefix(b('/😀'), p) && hasPrefix(b('/😁'), p)).toBe(true);
  });

  it('a prefix covers a refused range when the refused one starts with it', () => {
    expect(coversDenied(b('/'), [b('/a/')])).toBe(true);
    expect(coversDenied(b('/a/'), [b('/a/')])).toBe(true);
    expect(coversDenied(b('/a/x'), [b('/a/')])).toBe(false);
    expect(coversDenied(b('/b/'), [b('/a/')])).toBe(false);
  });

  it('covering prefixes: one range unless refused, then halves until allowed, single keys at worst', () => {
    const keys = [b('/a/1'), b('/a/2'), b('/b/1'), b('/b/2')];
    expect(strs(coveringPrefixes(keys, []))).toEqual(['/']);
    expect(strs(coveringPrefixes(keys, [b('/')]))).toEqual(['/a/', '/b/']);
    expect(strs(coveringPrefixes(keys, [b('/'), b('/a/')]))).toEqual(['/a/1', '/a/2', '/b/']);
    expect(strs(coveringPrefixes([b('/b/1'), b('/a/1'), b('/a/2')], [b('/')]))).toEqual(['/a/1', '/a/2', '/b/1']);
  });

  it('a replacement watch resumes after what the old one delivered, and no later than after the new key was written', () => {
    expect(resumeRevision(100n, 250n)).toBe(101n);
    expect(resumeRevision(300n, 250n)).toBe(251n);
    expect(resumeRevision(250n, 250n)).toBe(251n);
  });
});
