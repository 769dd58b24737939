import { status as Status } from '@grpc/grpc-js';
import fc from 'fast-check';
import {
  decodeAuthenticateResponse,
  decodeRangeResponse,
  encodeAuthenticateRequest,
  encodeRangeRequest,
  isLeanHostFailure,
  leanErrorKind,
  LeanRangeRequest,
  prefixRangeEnd,
} from '../../lib/core/etcd/lean-range';
import { etcd3Rpc } from '../support/etcd3-rpc';
import { decodeRangeEntries } from '../../lib/core/etcd/lean-range-entries';

// The hand-written codec of lib/core/etcd/lean-range.ts against the serializers etcd3 itself uses
// (@grpc/proto-loader over etcd3's rpc.proto, with etcd3's options): what we send is what etcd3
// would send, and we read what etcd3 would read.
const range = etcd3Rpc('etcdserverpb.KV', 'Range');
const authenticate = etcd3Rpc('etcdserverpb.Auth', 'Authenticate');

const MAX_INT64 = '9223372036854775807';
const MIN_INT64 = '-9223372036854775808';
const MAX_UINT64 = '18446744073709551615';

/** A decoded KeyValue in etcd3's shape (strings for key and value, as ours gives them). */
const asEtcd3 = (kvs: { key: Buffer; value: Buffer; [field: string]: unknown }[]) =>
  kvs.map(({ key, value, create_revision, mod_revision, version, lease }) => ({
    key: key.toString(),
    value: value.toString(),
    create_revision,
    mod_revision,
    version,
    lease,
  }));

describe('lean-range codec', () => {
  describe('RangeRequest', () => {
    it.each<[string, LeanRangeRequest]>([
      ['a key only', { key: Buffer.from('/services/a') }],
      ['a prefix range', { key: Buffer.from('/services/'), rangeEnd: prefixRangeEnd(Buffer.from('/services/')) }],
      [
        'every field',
        {
          key: Buffer.from('k'),
          rangeEnd: Buffer.from('l'),
          limit: 10_000,
          revision: '9007199254740993', // above 2^53: only a string (or a BigInt) holds it
          sortOrder: 2,
          sortTarget: 3,
          serializable: true,
          keysOnly: true,
          countOnly: true,
        },
      ],
      ['int64 extremes', { key: Buffer.from('k'), limit: MAX_INT64, revision: MIN_INT64 }],
      ['empty key (etcd reads it as "\\0")', { key: Buffer.alloc(0), rangeEnd: Buffer.from([0]) }],
      ['binary key', { key: Buffer.from([0, 0xff, 0x80, 1]) }],
    ])('%s: decoded by etcd3 as sent', (_name, req) => {
      const decoded = range.requestDeserialize(encodeRangeRequest(req));
      expect(decoded).toEqual(
        expect.objectContaining({
          key: req.key,
          range_end: req.rangeEnd ?? Buffer.alloc(0),
          limit: String(req.limit ?? 0),
          revision: String(req.revision ?? 0),
          sort_order: ['None', 'Ascend', 'Descend'][req.sortOrder ?? 0],
          sort_target: ['Key', 'Version', 'Create', 'Mod', 'Value'][req.sortTarget ?? 0],
          serializable: req.serializable ?? false,
          keys_only: req.keysOnly ?? false,
          count_only: req.countOnly ?? false,
        }),
      );
    });

    it('leaves default fields out, as protobuf does', () => {
      expect(encodeRangeRequest({ key: Buffer.from('a'), limit: 0, revision: '0', serializable: false })).toEqual(
        range.requestSerialize({ key: Buffer.from('a') }),
      );
    });
  });

  describe('RangeResponse', () => {
    const kv = (n: number) => ({
      key: Buffer.from(`/services/svc/i${n}`),
      value: Buffer.from(JSON.stringify({ v: 1, address: `10.0.0.${n}:80`, note: 'é ✓' })),
      create_revision: String(n + 2),
      mod_revision: String(n + 3),
      version: '1',
      lease: n % 2 ? '7587869011324133133' : '0',
    });

    it('reads what etcd3 reads: header, every KeyValue field, more, count', () => {
      const message = {
        header: { cluster_id: MAX_UINT64, member_id: '12345678901234567890', revision: '4611686018427387904', raft_term: '3' },
        kvs: [kv(1), kv(2), kv(300)],
        more: true,
        count: '3',
      };
      const bytes = range.responseSerialize(message);
      const ours = decodeRangeResponse(bytes);
      const theirs = range.responseDeserialize(bytes) as typeof message;
      expect(ours).toEqual({ header: theirs.header, kvs: asEtcd3(theirs.kvs), more: true, count: '3' });
      expect(ours.header.cluster_id).toBe(MAX_UINT64);
    });

    it('int64 values above 2^31 and 2^53, and negative ones, as exact decimal strings', () => {
      const values = ['2147483648', '4294967296', '9007199254740993', MAX_INT64, '-1', MIN_INT64];
      for (const v of values) {
        const bytes = range.responseSerialize({
          kvs: [{ key: Buffer.from('k'), mod_revision: v, lease: v, create_revision: v, version: v }],
        });
        expect(decodeRangeResponse(bytes).kvs[0]).toEqual(
          expect.objectContaining({ mod_revision: v, lease: v, create_revision: v, version: v }),
        );
      }
    });

    it('missing fields read as their defaults; an empty message is an empty response', () => {
      expect(decodeRangeResponse(Buffer.alloc(0))).toEqual({
        header: { cluster_id: '0', member_id: '0', revision: '0', raft_term: '0' },
        kvs: [],
        more: false,
        count: '0',
      });
      const bytes = range.responseSerialize({ kvs: [{}] });
      expect(decodeRangeResponse(bytes).kvs).toEqual([
        { key: '', value: '', create_revision: '0', mod_revision: '0', version: '0', lease: '0' },
      ]);
    });

    it('skips fields it does not know (newer etcd), with one-byte and longer tags', () => {
      const known = range.responseSerialize({ kvs: [kv(5)], count: '1' });
      // field 15 (varint), field 99 (bytes, a two-byte tag), field 7 (fixed64), field 8 (fixed32)
      const unknown = Buffer.from([0x78, 0x96, 0x01, 0x9a, 0x06, 0x02, 0x68, 0x69, 0x39, 1, 2, 3, 4, 5, 6, 7, 8, 0x45, 1, 2, 3, 4]);
      const kvWithExtra = Buffer.concat([range.responseSerialize({ kvs: [kv(6)] }).subarray(2), unknown]);
      const nested = Buffer.concat([Buffer.from([0x12, kvWithExtra.length]), kvWithExtra]);
      const decoded = decodeRangeResponse(Buffer.concat([unknown, known, nested]));
      expect(decoded.count).toBe('1');
      expect(decoded.kvs.map((k) => k.key)).toEqual(['/services/svc/i5', '/services/svc/i6']);
      expect(decoded.kvs[1]).toEqual(asEtcd3([kv(6)])[0]);
    });

    it('a truncated message is an error, not a short read', () => {
      const bytes = range.responseSerialize({ kvs: [kv(1), kv(2)], count: '2' });
      for (const cut of [1, 5, bytes.length - 1]) expect(() => decodeRangeResponse(bytes.subarray(0, cut))).toThrow(RangeError);
    });

    it('round trip of any response etcd3 can encode', () => {
      const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String);
      const uint64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String);
      const text = fc.string({ unit: 'grapheme', maxLength: 40 });
      const keyValue = fc.record({
        key: text.map((s) => Buffer.from(s)),
        value: text.map((s) => Buffer.from(s)),
        create_revision: int64,
        mod_revision: int64,
        version: int64,
        lease: int64,
      });
      const response = fc.record({
        header: fc.record({ cluster_id: uint64, member_id: uint64, revision: int64, raft_term: uint64 }),
        kvs: fc.array(keyValue, { maxLength: 20 }),
        more: fc.boolean(),
        count: int64,
      });
      fc.assert(
        fc.property(response, (message) => {
          const bytes = range.responseSerialize(message);
          const theirs = range.responseDeserialize(bytes) as typeof message;
          expect(decodeRangeResponse(bytes)).toEqual({ ...theirs, kvs: asEtcd3(theirs.kvs) });
        }),
        { numRuns: 300 },
      );
    });
  });

  describe("RangeResponse as a prefix read's entries (decodeRangeEntries)", () => {
    const text = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ unit: 'grapheme-ascii', maxLength: 40 }));
    const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String);
    const keyValue = fc.record({
      key: text.map((s) => Buffer.from(`/ns/${s}`)),
      value: text.map((s) => Buffer.from(s)),
      create_revision: int64,
      mod_revision: int64,
      version: int64,
      lease: int64,
    });

    // A real answer's header (cluster and member ids of 64 bits) and varints hold bytes of 0x80 and up
    // around ASCII keys and values: the decoder's latin1 reading must still tell keys and values apart.
    const uint64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String);
    const header = fc.record({ cluster_id: uint64, member_id: uint64, revision: int64, raft_term: uint64 });

    it('the keys (namespace cut off), values and mod_revisions decodeRangeResponse reads, ASCII or not', () => {
      fc.assert(
        fc.property(header, fc.array(keyValue, { maxLength: 20 }), (header, kvs) => {
          const bytes = range.responseSerialize({ header, kvs, more: true, count: String(kvs.length) });
          for (const skip of [0, 4]) {
            const full = decodeRangeResponse(bytes).kvs.map((kv) => ({
              key: kv.key.slice(skip),
              value: kv.value,
              revision: kv.mod_revision,
            }));
            expect(decodeRangeEntries(bytes, skip)).toEqual(full);
          }
        }),
        { numRuns: 300 },
      );
    });

    it('skips unknown fields; a truncated message is an error', () => {
      const unknown = Buffer.from([0x78, 0x96, 0x01, 0x9a, 0x06, 0x02, 0x68, 0x69]);
      const one = range.responseSerialize({ kvs: [{ key: Buffer.from('/ns/a'), value: Buffer.from('v'), mod_revision: '7' }] });
      const kvWithExtra = Buffer.concat([one.subarray(2), unknown]);
      const bytes = Buffer.concat([unknown, Buffer.from([0x12, kvWithExtra.length]), kvWithExtra]);
      expect(decodeRangeEntries(bytes, 4)).toEqual([{ key: 'a', value: 'v', revision: '7' }]);
      for (const cut of [1, 5, one.length - 1]) expect(() => decodeRangeEntries(one.subarray(0, cut), 0)).toThrow(RangeError);
    });
  });

  describe('Authenticate', () => {
    it('request and response as etcd3 sends and reads them', () => {
      expect(authenticate.requestDeserialize(encodeAuthenticateRequest('reader', 'pä55:word'))).toEqual({
        name: 'reader',
        password: 'pä55:word',
      });
      expect(encodeAuthenticateRequest('', '')).toEqual(Buffer.alloc(0));
      const bytes = authenticate.responseSerialize({ header: { revision: '42' }, token: 'abc.def.123' });
      expect(decodeAuthenticateResponse(bytes)).toEqual({
        header: { cluster_id: '0', member_id: '0', revision: '42', raft_term: '0' },
        token: 'abc.def.123',
      });
    });
  });

  it('prefixRangeEnd: the first key after every key with the prefix', () => {
    expect(prefixRangeEnd(Buffer.from('/services/'))).toEqual(Buffer.from('/services0'));
    expect(prefixRangeEnd(Buffer.from([0x61, 0xff, 0xff]))).toEqual(Buffer.from([0x62]));
    expect(prefixRangeEnd(Buffer.from([0xff]))).toEqual(Buffer.from([0]));
    expect(prefixRangeEnd(Buffer.alloc(0))).toEqual(Buffer.from([0]));
  });
});

describe('lean-range errors, classed as etcd3 classes them', () => {
  const grpcError = (code: number, details: string) =>
    Object.assign(new Error(`${code} ${Status[code]}: ${details}`), { code, details, metadata: undefined });

  it.each([
    [Status.INVALID_ARGUMENT, 'etcdserver: authentication failed, invalid user ID or password', 'authFailed', false],
    [Status.PERMISSION_DENIED, 'etcdserver: permission denied', 'permissionDenied', false],
    [Status.UNAUTHENTICATED, 'etcdserver: invalid auth token', 'unauthenticated', false],
    [Status.INVALID_ARGUMENT, 'etcdserver: user name is empty', 'invalidArgument', false],
    [Status.UNAVAILABLE, 'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:1', undefined, true],
    [Status.DEADLINE_EXCEEDED, 'Deadline exceeded after 1.001s', undefined, true],
    [Status.RESOURCE_EXHAUSTED, 'etcdserver: mvcc: database space exceeded', undefined, false],
    [Status.FAILED_PRECONDITION, 'etcdserver: authentication is not enabled', undefined, false],
  ])('code %s "%s": kind %s, member failure %s', (code, details, kind, hostFailure) => {
    const error = grpcError(code, details);
    expect(leanErrorKind(error)).toBe(kind);
    expect(isLeanHostFailure(error)).toBe(hostFailure);
  });

  it('anything not a gRPC error is neither', () => {
    expect(leanErrorKind('nope')).toBeUndefined();
    expect(isLeanHostFailure(new Error('14 UNAVAILABLE: text only, no code'))).toBe(false);
  });
});
