import { etcd3Rpc } from '../support/etcd3-rpc';
import { decodeWatchResponse } from '../../lib/core/etcd/watch-codec';

// The hand-written WatchResponse decoder of lib/core/etcd/watch-codec.ts against the codec etcd3
// itself uses (@grpc/proto-loader over etcd3's rpc.proto, with etcd3's options): etcd3's watcher
// and ours get the same objects.
const watch = etcd3Rpc('etcdserverpb.Watch', 'Watch');

const header = { cluster_id: '14841639068965178418', member_id: '10276657743932975437', revision: '9007199254740993', raft_term: '7' };
const kv = (key: string, value: string, rev: string) => ({
  key: Buffer.from(key),
  create_revision: rev,
  mod_revision: rev,
  version: '1',
  value: Buffer.from(value),
  lease: '7587879447897686',
});

describe('watch-codec', () => {
  it.each<[string, object]>([
    ['a created response', { header, watch_id: '0', created: true }],
    ['one put', { header, watch_id: '3', events: [{ type: 'Put', kv: kv('/s/a', '{"port":1}', '12') }] }],
    [
      'a lease expiry: several deletes in one revision, with previous values',
      {
        header,
        events: [
          { type: 'Delete', kv: { key: Buffer.from('/s/a'), mod_revision: '13' }, prev_kv: kv('/s/a', 'x', '12') },
          { type: 'Delete', kv: { key: Buffer.from('/s/b'), mod_revision: '13' } },
        ],
      },
    ],
    ['a progress notification', { header }],
    [
      'a compaction',
      {
        header,
        watch_id: '1',
        canceled: true,
        compact_revision: '9007199254740995',
        cancel_reason: 'mvcc: required revision has been compacted',
      },
    ],
    ['a fragment, binary keys', { header, fragment: true, events: [{ type: 'Put', kv: kv('\u0000\u00ff', '', '-1') }] }],
    ['an empty answer', {}],
  ])('%s: decoded as etcd3 decodes it', (_name, res) => {
    const bytes = watch.responseSerialize(res);
    expect(decodeWatchResponse(bytes)).toEqual(watch.responseDeserialize(bytes));
  });

  it('refuses a truncated answer', () => {
    const bytes = watch.responseSerialize({ header, events: [{ type: 'Put', kv: kv('/s/a', 'v', '2') }] });
    expect(() => decodeWatchResponse(bytes.subarray(0, bytes.length - 2))).toThrow(/truncated/);
  });
});
