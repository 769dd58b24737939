import { driftReason, driftVerdict } from '../../lib/core/watch/drift-check';

describe('anti-entropy verdict (pure)', () => {
  const map = { revision: 120n, size: 3, newest: 118 };

  it('read at the map revision, the comparison is exact: any difference is drift', () => {
    expect(driftVerdict(map, { size: 3, newest: 118, exact: true }, false)).toBe('same');
    expect(driftVerdict(map, { size: 4, newest: 118, exact: true }, false)).toBe('drift');
    // Same count, but a newer write the map never got.
    expect(driftVerdict(map, { size: 3, newest: 119, exact: true }, false)).toBe('drift');
  });

  it("read at etcd's current revision (the map's compacted), a difference is drift only when it persists", () => {
    expect(driftVerdict(map, { size: 3, newest: 118, exact: false }, false)).toBe('same');
    expect(driftVerdict(map, { size: 4, newest: 130, exact: false }, false)).toBe('recheck');
    expect(driftVerdict(map, { size: 4, newest: 130, exact: false }, true)).toBe('drift');
  });

  it('the reason starts with "drift" and gives both sides and the revision', () => {
    expect(driftReason(map, { size: 2, newest: 118, exact: true })).toBe(
      'drift: the map had 3 key(s), newest revision 118; etcd had 2, newest 118 at revision 120',
    );
    expect(driftReason(map, { size: 2, newest: 125, exact: false })).toMatch(
      /^drift: .* at etcd's current revision \(120 was compacted\)$/,
    );
  });
});
