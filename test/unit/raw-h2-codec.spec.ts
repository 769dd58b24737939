import { GrpcMessageReader } from '../../bench/raw-h2-channel';
import { grpcFrame, grpcStatusOf } from '../../lib/core/etcd/lean-range';
import {
  applyWatchResponse,
  decodeLeaseGrantResponse,
  encodeDeleteRangeRequest,
  encodeLeaseGrantRequest,
  encodeLeaseIdRequest,
  encodePutRequest,
  encodeWatchCreateRequest,
} from '../../bench/raw-h2-codec';
import { etcd3Rpc } from '../support/etcd3-rpc';

// The benchmark's Node http2 floor (bench/raw-h2*.ts): its gRPC framing, and its codecs against
// the ones etcd3 itself uses (@grpc/proto-loader over etcd3's rpc.proto): etcd reads what etcd3
// would send, and the floor reads what etcd3 would read.
const header = { cluster_id: '14841639068965178418', member_id: '10276657743932975437', revision: '9007199254740993', raft_term: '7' };
const LEASE = '7587879447897686'; // beyond 2^53: int64 as a string all the way

describe('raw-h2 codec', () => {
  it('requests decode, by etcd3, to what the floor means', () => {
    const put = etcd3Rpc('etcdserverpb.KV', 'Put').requestDeserialize(encodePutRequest(Buffer.from('/s/é'), Buffer.from('{"p":1}'), LEASE));
    expect(put).toMatchObject({ key: Buffer.from('/s/é'), value: Buffer.from('{"p":1}'), lease: LEASE });
    expect(etcd3Rpc('etcdserverpb.KV', 'DeleteRange').requestDeserialize(encodeDeleteRangeRequest(Buffer.from('/s/a')))).toMatchObject({
      key: Buffer.from('/s/a'),
      range_end: Buffer.alloc(0),
    });
    expect(etcd3Rpc('etcdserverpb.Lease', 'LeaseGrant').requestDeserialize(encodeLeaseGrantRequest(5))).toMatchObject({
      TTL: '5',
      ID: '0',
    });
    expect(etcd3Rpc('etcdserverpb.Lease', 'LeaseKeepAlive').requestDeserialize(encodeLeaseIdRequest(LEASE))).toMatchObject({ ID: LEASE });
    const watch = etcd3Rpc('etcdserverpb.Watch', 'Watch').requestDeserialize(
      encodeWatchCreateRequest(Buffer.from('/s/'), Buffer.from('/s0'), '9007199254740994'),
    );
    expect(watch).toMatchObject({
      request_union: 'create_request',
      create_request: { key: Buffer.from('/s/'), range_end: Buffer.from('/s0'), start_revision: '9007199254740994' },
    });
  });

  it('reads a LeaseGrantResponse, and its error', () => {
    const grant = etcd3Rpc('etcdserverpb.Lease', 'LeaseGrant');
    expect(decodeLeaseGrantResponse(grant.responseSerialize({ header, ID: LEASE, TTL: '5' }))).toEqual({
      id: LEASE,
      ttlSeconds: '5',
      error: '',
    });
    expect(decodeLeaseGrantResponse(grant.responseSerialize({ header, error: 'no space' })).error).toBe('no space');
  });

  it('applies a WatchResponse to the map: puts (UTF-8), deletes (several in one revision), and reads created and canceled', () => {
    const watch = etcd3Rpc('etcdserverpb.Watch', 'Watch');
    const kv = (key: string, value: string) => ({ key: Buffer.from(key), value: Buffer.from(value), mod_revision: '12', lease: LEASE });
    const map = new Map([['/s/old', 'x']]);
    expect(applyWatchResponse(watch.responseSerialize({ header, watch_id: '0', created: true }), map)).toMatchObject({
      created: true,
      events: 0,
    });
    const puts = applyWatchResponse(
      watch.responseSerialize({
        header,
        watch_id: '3',
        events: [
          { type: 'Put', kv: kv('/s/é✓', 'ü') },
          { type: 'Put', kv: kv('/s/b', '') },
        ],
      }),
      map,
    );
    expect(puts).toMatchObject({ watchId: '3', created: false, events: 2 });
    expect([...map]).toEqual([
      ['/s/old', 'x'],
      ['/s/é✓', 'ü'],
      ['/s/b', ''],
    ]);
    const expiry = watch.responseSerialize({
      header,
      events: [
        { type: 'Delete', kv: { key: Buffer.from('/s/old') }, prev_kv: kv('/s/old', 'x') },
        { type: 'Delete', kv: { key: Buffer.from('/s/b') } },
      ],
    });
    expect(applyWatchResponse(expiry, map).events).toBe(2);
    expect([...map]).toEqual([['/s/é✓', 'ü']]);
    const compacted = watch.responseSerialize({ header, canceled: true, compact_revision: '40', cancel_reason: 'compacted' });
    expect(applyWatchResponse(compacted, map)).toMatchObject({ canceled: true, compactRevision: '40', cancelReason: 'compacted' });
  });
});

describe('raw-h2 gRPC framing', () => {
  const messages = [Buffer.from('a'), Buffer.alloc(0), Buffer.alloc(70_000, 7), Buffer.from('last')];
  const stream = Buffer.concat(messages.map(grpcFrame));

  it('frames a message behind its 5-byte prefix', () => {
    expect([...grpcFrame(Buffer.from('ab'))]).toEqual([0, 0, 0, 0, 2, 0x61, 0x62]);
  });

  it.each([1, 2, 3, 5, 6, 7, 4096, 16_384, stream.length])('cuts the messages out of chunks of %i bytes, wherever they fall', (size) => {
    const reader = new GrpcMessageReader();
    const out: Buffer[] = [];
    for (let at = 0; at < stream.length; at += size) out.push(...reader.push(stream.subarray(at, at + size)));
    expect(out.map((m) => m.toString('hex'))).toEqual(messages.map((m) => m.toString('hex')));
    expect(reader.buffered).toBe(0);
  });

  it('keeps a partial message until its last byte, and refuses a compressed one', () => {
    const reader = new GrpcMessageReader();
    expect(reader.push(stream.subarray(0, 8))).toEqual([Buffer.from('a')]);
    expect(reader.buffered).toBe(2);
    expect(() => new GrpcMessageReader().push(Buffer.from([1, 0, 0, 0, 1, 9]))).toThrow(/compressed message/);
  });

  it('reads the status of a trailer block, percent-decoded', () => {
    expect(grpcStatusOf({ 'grpc-status': '9', 'grpc-message': 'etcdserver%3A requested lease not found' })).toEqual({
      code: 9,
      details: 'etcdserver: requested lease not found',
    });
    expect(grpcStatusOf({ 'content-type': 'application/grpc' })).toBeUndefined();
  });
});
