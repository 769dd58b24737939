import { appliedThrough } from '../../lib/core/watch/applied-revision';

const response = (header: string, revisions: string[]) => ({
  header: { revision: header },
  events: revisions.map((r) => ({ kv: { mod_revision: r } })),
});

describe('how far a watch response goes (pure)', () => {
  it("a catch-up response counts up to its last event, not to its header (the store's current revision)", () => {
    // What etcd 3.4 sends a watch started 2,000 revisions back: two responses, both stamped 2002.
    expect(appliedThrough(response('2002', ['3', '4', '1002']))).toBe(1002n);
    expect(appliedThrough(response('2002', ['1003', '2002']))).toBe(2002n);
  });

  it('several events of one revision (a lease expiry, a txn) count as that revision', () => {
    expect(appliedThrough(response('90', ['57', '57', '57']))).toBe(57n);
  });

  it('an event-less response (a progress notification, sent only to a caught-up watch) counts up to its header', () => {
    expect(appliedThrough(response('4711', []))).toBe(4711n);
  });
});
