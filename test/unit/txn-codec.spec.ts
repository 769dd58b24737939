import { CompareResult, CompareTarget, ITxnRequest } from 'etcd3';
import { etcd3Rpc } from '../support/etcd3-rpc';
import { decodeTxnResponse, encodeTxnRequest } from '../../lib/core/etcd/txn-codec';
import { deleteIfLeaseRequest, guardedPutRequest, readKeysRequest } from '../../lib/core/lease/txn-requests';

// The hand-written Txn codec of lib/core/etcd/txn-codec.ts against the serializers etcd3 itself
// uses (@grpc/proto-loader over etcd3's rpc.proto, with etcd3's options): etcd reads what etcd3
// would send, and the keeper reads the same objects etcd3 would hand it.
const txn = etcd3Rpc('etcdserverpb.KV', 'Txn');

const key = Buffer.from('/services/orders/10.0.0.1:3000');
const value = Buffer.from('{"host":"10.0.0.1","port":3000}');
const header = { cluster_id: '14841639068965178418', member_id: '10276657743932975437', revision: '9007199254740993', raft_term: '7' };

describe('txn-codec', () => {
  describe('TxnRequest: decoded by etcd3 as etcd3 would encode it', () => {
    it.each<[string, ITxnRequest]>([
      ['a lean guarded put', guardedPutRequest([{ key, value, decision: { kind: 'create' } }], '7587879447897686', false)],
      [
        'a guarded put of two keys reading on failure',
        guardedPutRequest(
          [
            { key, value, decision: { kind: 'update', modRevision: '123' } },
            { key: Buffer.from('b'), value: Buffer.alloc(0), decision: { kind: 'create' } },
          ],
          '9223372036854775807',
        ),
      ],
      ['a lean delete under a lease', deleteIfLeaseRequest(key, '7587879447897686', false)],
      ['a delete reading on failure', deleteIfLeaseRequest(key, '1')],
      ['a read of keys', readKeysRequest([key, Buffer.from([0, 0xff])])],
      [
        'every field',
        {
          compare: [
            { key, result: 'NotEqual', target: 'Value', value, range_end: Buffer.from('z') },
            { key, result: CompareResult.Greater, target: CompareTarget.Version, version: 0 },
            { key, result: CompareResult.Less, target: CompareTarget.Lease, lease: '-1' },
          ],
          success: [
            {
              request_range: {
                key,
                range_end: Buffer.from([0]),
                limit: 10,
                revision: '-9223372036854775808',
                sort_order: 2 as never,
                sort_target: 'Mod' as never,
                serializable: true,
                keys_only: true,
                count_only: true,
                min_mod_revision: 1,
                max_mod_revision: 2,
                min_create_revision: 3,
                max_create_revision: '18446744073709551615',
              },
            },
            { request_put: { key, value, lease: 0, prev_kv: true, ignore_value: true, ignore_lease: true } },
            { request_delete_range: { key, range_end: Buffer.from('z'), prev_kv: true } },
          ],
          failure: [{ request_txn: { compare: [], success: [{ request_range: { key } }], failure: [] } }],
        },
      ],
      ['an empty transaction', {}],
    ])('%s', (_name, req) => {
      const ours = txn.requestDeserialize(encodeTxnRequest(req));
      const etcd3s = txn.requestDeserialize(txn.requestSerialize(req));
      expect(ours).toEqual(etcd3s);
    });

    it('refuses an enum name it does not know, naming it', () => {
      expect(() => encodeTxnRequest({ compare: [{ key, result: 'Equals' as never }] })).toThrow(/unknown compare result "Equals"/);
    });
  });

  describe('TxnResponse: the objects etcd3 would hand over', () => {
    const kv = { key, create_revision: '5', mod_revision: '9007199254740993', version: '2', value, lease: '7587879447897686' };
    it.each<[string, object]>([
      ['a succeeded lean put', { header, succeeded: true, responses: [{ response_put: { header } }] }],
      ['a failed lean transaction', { header, succeeded: false, responses: [] }],
      [
        'a failed transaction with its reads',
        {
          header,
          succeeded: false,
          responses: [
            { response_range: { header, kvs: [kv], more: true, count: '1' } },
            { response_range: { header, kvs: [], count: '0' } },
          ],
        },
      ],
      [
        'deletes, puts with previous values, a nested transaction',
        {
          header,
          succeeded: true,
          responses: [
            { response_delete_range: { header, deleted: '1', prev_kvs: [kv, { key: Buffer.from('x') }] } },
            { response_put: { header, prev_kv: kv } },
            { response_txn: { header, succeeded: true, responses: [{ response_range: { header, kvs: [kv] } }] } },
          ],
        },
      ],
      ['an empty answer', {}],
      [
        'a negative lease and a zero header',
        { header: {}, succeeded: true, responses: [{ response_range: { kvs: [{ ...kv, lease: '-5' }] } }] },
      ],
    ])('%s', (_name, res) => {
      const bytes = txn.responseSerialize(res);
      expect(decodeTxnResponse(bytes)).toEqual(txn.responseDeserialize(bytes));
    });

    it('refuses a truncated answer', () => {
      const bytes = txn.responseSerialize({ header, succeeded: true, responses: [{ response_range: { kvs: [kv] } }] });
      expect(() => decodeTxnResponse(bytes.subarray(0, bytes.length - 3))).toThrow(/truncated/);
    });
  });
});
