import { BYTES, ProtoWriter, VARINT, int64At, lengthAt, skipField, truncated } from '../lib/core/etcd/proto-wire';

/**
 * The messages of the Node http2 floor (bench/raw-h2.ts), encoded (with the library's protobuf
 * writer, lib/core/etcd/proto-wire.ts) and decoded by hand: etcd 3.4's
 * rpc.proto and kv.proto (the copy etcd3 ships, node_modules/etcd3/proto), field numbers below.
 * int64 values are decimal strings, as etcd3 gives them. test/unit/raw-h2-codec.spec.ts checks
 * them against etcd3's own (protobufjs) codec.
 */

/** etcdserverpb.PutRequest: key 1, value 2, lease 3. */
export function encodePutRequest(key: Buffer, value: Buffer, lease: string): Buffer {
  const w = new ProtoWriter();
  w.bytes(1, key);
  w.bytes(2, value);
  w.int(3, lease);
  return w.finish();
}

/** etcdserverpb.DeleteRangeRequest: key 1 (range_end 2 unset: this one key). */
export function encodeDeleteRangeRequest(key: Buffer): Buffer {
  const w = new ProtoWriter();
  w.bytes(1, key);
  return w.finish();
}

/** etcdserverpb.LeaseGrantRequest: TTL 1 (ID 2 unset: etcd picks it). */
export function encodeLeaseGrantRequest(ttlSeconds: number): Buffer {
  const w = new ProtoWriter();
  w.int(1, ttlSeconds);
  return w.finish();
}

/** etcdserverpb.LeaseKeepAliveRequest and LeaseRevokeRequest: ID 1. */
export function encodeLeaseIdRequest(id: string): Buffer {
  const w = new ProtoWriter();
  w.int(1, id);
  return w.finish();
}

/** etcdserverpb.WatchRequest { create_request (1): WatchCreateRequest { key 1, range_end 2, start_revision 3 } }. */
export function encodeWatchCreateRequest(key: Buffer, rangeEnd: Buffer, startRevision: string): Buffer {
  const create = new ProtoWriter();
  create.bytes(1, key);
  create.bytes(2, rangeEnd);
  create.int(3, startRevision);
  const w = new ProtoWriter();
  w.message(1, create);
  return w.finish();
}

/** What the floor reads of etcdserverpb.LeaseGrantResponse: ID 2, TTL 3, error 4 (header 1 skipped). */
export interface LeaseGrant {
  id: string;
  ttlSeconds: string;
  error: string;
}

export function decodeLeaseGrantResponse(buf: Buffer): LeaseGrant {
  const res: LeaseGrant = { id: '0', ttlSeconds: '0', error: '' };
  const end = buf.length;
  let pos = 0;
  while (pos < end) {
    const [tag, at] = lengthAt(buf, pos, end);
    const field = tag >>> 3;
    const wire = tag & 7;
    if ((field === 2 || field === 3) && wire === VARINT) {
      const [value, next] = int64At(buf, at, end, true);
      pos = next;
      if (field === 2) res.id = value;
      else res.ttlSeconds = value;
    } else if (field === 4 && wire === BYTES) {
      const [length, start] = lengthAt(buf, at, end);
      pos = start + length;
      if (pos > end) truncated();
      res.error = buf.toString('utf8', start, pos);
    } else pos = skipField(buf, at, end, wire);
  }
  return res;
}

/** What a WatchResponse said besides its events (which applyWatchResponse applied to the map). */
export interface WatchStatus {
  watchId: string; // 2
  created: boolean; // 3
  canceled: boolean; // 4
  compactRevision: string; // 5
  cancelReason: string; // 6
  /** How many events (11) were applied. */
  events: number;
}

/**
 * Decodes etcdserverpb.WatchResponse and applies its events to `map` as it goes: mvccpb.Event
 * { type 1 (PUT 0, DELETE 1), kv 2: KeyValue { key 1, value 5 } }, key and value as UTF-8 strings.
 * The header and the other KeyValue fields (revisions, version, lease) are skipped.
 */
export function applyWatchResponse(buf: Buffer, map: Map<string, string>): WatchStatus {
  const status: WatchStatus = { watchId: '0', created: false, canceled: false, compactRevision: '0', cancelReason: '', events: 0 };
  const end = buf.length;
  let pos = 0;
  while (pos < end) {
    const [tag, at] = lengthAt(buf, pos, end);
    const field = tag >>> 3;
    const wire = tag & 7;
    if (wire === BYTES && (field === 11 || field === 6)) {
      const [length, start] = lengthAt(buf, at, end);
      pos = start + length;
      if (pos > end) truncated();
      if (field === 6) status.cancelReason = buf.toString('utf8', start, pos);
      else {
        applyEvent(buf, start, pos, map);
        status.events++;
      }
    } else if (wire === VARINT && field >= 2 && field <= 5) {
      const [value, next] = int64At(buf, at, end, true);
      pos = next;
      if (field === 2) status.watchId = value;
      else if (field === 3) status.created = value !== '0';
      else if (field === 4) status.canceled = value !== '0';
      else status.compactRevision = value;
    } else pos = skipField(buf, at, end, wire);
  }
  return status;
}

function applyEvent(buf: Buffer, pos: number, end: number, map: Map<string, string>): void {
  let deleted = false;
  let key: string | undefined;
  let value = '';
  while (pos < end) {
    const [tag, at] = lengthAt(buf, pos, end);
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 1 && wire === VARINT) {
      const [type, next] = int64At(buf, at, end, true);
      pos = next;
      deleted = type === '1';
    } else if (field === 2 && wire === BYTES) {
      const [length, start] = lengthAt(buf, at, end);
      pos = start + length;
      if (pos > end) truncated();
      [key, value] = keyValueAt(buf, start, pos);
    } else pos = skipField(buf, at, end, wire);
  }
  if (key === undefined) return;
  if (deleted) map.delete(key);
  else map.set(key, value);
}

/** mvccpb.KeyValue's key (1) and value (5) from [pos, end). */
function keyValueAt(buf: Buffer, pos: number, end: number): [string, string] {
  let key = '';
  let value = '';
  while (pos < end) {
    const [tag, at] = lengthAt(buf, pos, end);
    const field = tag >>> 3;
    const wire = tag & 7;
    if ((field === 1 || field === 5) && wire === BYTES) {
      const [length, start] = lengthAt(buf, at, end);
      pos = start + length;
      if (pos > end) truncated();
      if (field === 1) key = buf.toString('utf8', start, pos);
      else value = buf.toString('utf8', start, pos);
    } else pos = skipField(buf, at, end, wire);
  }
  return [key, value];
}
