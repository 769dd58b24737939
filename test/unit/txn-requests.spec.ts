import { CompareResult, CompareTarget } from 'etcd3';
import { deleteIfLeaseRequest, guardedPutRequest, readKeysRequest } from '../../lib/core/lease/txn-requests';

describe('the keeper transactions as etcd requests', () => {
  const a = Buffer.from('/ns/svc/a');
  const b = Buffer.from('/ns/svc/b');

  it('guarded put: each key absent (create revision 0) or unchanged (mod revision); put all under the lease, else read each', () => {
    const req = guardedPutRequest(
      [
        { key: a, value: Buffer.from('A'), decision: { kind: 'create' } },
        { key: b, value: Buffer.from('B'), decision: { kind: 'update', modRevision: '42' } },
      ],
      '7',
    );
    expect(req.compare).toEqual([
      { key: a, result: CompareResult.Equal, target: CompareTarget.Create, create_revision: 0 },
      { key: b, result: CompareResult.Equal, target: CompareTarget.Mod, mod_revision: '42' },
    ]);
    expect(req.success).toEqual([
      { request_put: { key: a, value: Buffer.from('A'), lease: '7' } },
      { request_put: { key: b, value: Buffer.from('B'), lease: '7' } },
    ]);
    // One read per key, in the same order: the keeper decides each key again from its response.
    expect(req.failure).toEqual([{ request_range: { key: a } }, { request_range: { key: b } }]);
  });

  it('conditional delete: only under the given lease, else read the key', () => {
    expect(deleteIfLeaseRequest(a, '9')).toEqual({
      compare: [{ key: a, result: CompareResult.Equal, target: CompareTarget.Lease, lease: '9' }],
      success: [{ request_delete_range: { key: a } }],
      failure: [{ request_range: { key: a } }],
    });
  });

  it('lean forms: no else branch (a failed compare reads nothing), and the read that follows', () => {
    const lean = guardedPutRequest([{ key: a, value: Buffer.from('A'), decision: { kind: 'create' } }], '7', false);
    expect(lean.failure).toEqual([]);
    expect(lean.success).toEqual([{ request_put: { key: a, value: Buffer.from('A'), lease: '7' } }]);
    expect(deleteIfLeaseRequest(a, '9', false).failure).toEqual([]);
    expect(readKeysRequest([a, b])).toEqual({
      compare: [],
      success: [{ request_range: { key: a } }, { request_range: { key: b } }],
      failure: [],
    });
  });
});
