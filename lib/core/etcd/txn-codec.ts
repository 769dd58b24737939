import {
  CompareResult,
  CompareTarget,
  ICompare,
  IKeyValue,
  IRangeRequest,
  IRequestOp,
  IResponseOp,
  ITxnRequest,
  ITxnResponse,
  SortOrder,
  SortTarget,
} from 'etcd3';
import { BYTES, LeanResponseHeader, ProtoWriter, VARINT, decodeHeader, int64At, lengthAt, skipField, truncated } from './proto-wire';

/**
 * KV/Txn's messages (etcd's rpc.proto, field numbers below) encoded and decoded by hand, in the
 * shapes etcd3 gives and takes (its proto-loader options: int64 as decimal strings, bytes as
 * Buffers, every field present with its default, oneofs named by `response`).
 *
 * Why: protobufjs (through @grpc/proto-loader) builds each request from a plain object and then
 * encodes it: about 12 us for one guarded put, warm, and much more on a process that was idle,
 * before grpc-js even starts the call; this takes about 1 us. test/unit/txn-codec.spec.ts checks
 * both directions against etcd3's own (protobufjs) codec.
 */

// --- encoding ---------------------------------------------------------------------------------

/** An enum given by its number or its name (etcd3's types allow both). */
function enumValue(value: number | string | undefined, names: Record<string, unknown>, what: string): number | undefined {
  if (value === undefined || typeof value === 'number') return value;
  const n = names[value];
  if (typeof n !== 'number') throw new TypeError(`txn-codec: unknown ${what} ${JSON.stringify(value)}`);
  return n;
}

function compare(c: ICompare): ProtoWriter {
  const o = new ProtoWriter();
  o.int(1, enumValue(c.result, CompareResult, 'compare result'));
  o.int(2, enumValue(c.target, CompareTarget, 'compare target'));
  o.bytes(3, c.key);
  // target_union: a oneof, written even when 0 (as protobufjs does for a member that is set).
  if (c.version !== undefined) o.int(4, c.version, true);
  else if (c.create_revision !== undefined) o.int(5, c.create_revision, true);
  else if (c.mod_revision !== undefined) o.int(6, c.mod_revision, true);
  else if (c.value !== undefined) o.bytes(7, c.value, true);
  else if (c.lease !== undefined) o.int(8, c.lease, true);
  o.bytes(64, c.range_end);
  return o;
}

function range(r: IRangeRequest): ProtoWriter {
  const o = new ProtoWriter();
  o.bytes(1, r.key);
  o.bytes(2, r.range_end);
  o.int(3, r.limit);
  o.int(4, r.revision);
  o.int(5, enumValue(r.sort_order, SortOrder, 'sort order'));
  o.int(6, enumValue(r.sort_target, SortTarget, 'sort target'));
  o.int(7, r.serializable);
  o.int(8, r.keys_only);
  o.int(9, r.count_only);
  o.int(10, r.min_mod_revision);
  o.int(11, r.max_mod_revision);
  o.int(12, r.min_create_revision);
  o.int(13, r.max_create_revision);
  return o;
}

function requestOp(op: IRequestOp): ProtoWriter {
  const o = new ProtoWriter();
  if (op.request_range) o.message(1, range(op.request_range));
  else if (op.request_put) {
    const p = op.request_put;
    const put = new ProtoWriter();
    put.bytes(1, p.key);
    put.bytes(2, p.value);
    put.int(3, p.lease);
    put.int(4, p.prev_kv);
    put.int(5, p.ignore_value);
    put.int(6, p.ignore_lease);
    o.message(2, put);
  } else if (op.request_delete_range) {
    const d = op.request_delete_range;
    const del = new ProtoWriter();
    del.bytes(1, d.key);
    del.bytes(2, d.range_end);
    del.int(3, d.prev_kv);
    o.message(3, del);
  } else if (op.request_txn) o.message(4, txn(op.request_txn));
  return o;
}

function txn(req: ITxnRequest): ProtoWriter {
  const o = new ProtoWriter();
  for (const c of req.compare ?? []) o.message(1, compare(c));
  for (const op of req.success ?? []) o.message(2, requestOp(op));
  for (const op of req.failure ?? []) o.message(3, requestOp(op));
  return o;
}

/** etcdserverpb.TxnRequest. */
export function encodeTxnRequest(req: ITxnRequest): Buffer {
  return txn(req).finish();
}

// --- decoding ---------------------------------------------------------------------------------

/** An absent message field, as protobufjs gives it (null). */
const absent = null as unknown as LeanResponseHeader;

/** The bytes field's value at [start, end), as its own Buffer (protobufjs gives a view of the message, as this does). */
const view = (buf: Buffer, start: number, end: number): Buffer => buf.subarray(start, end);

/** mvccpb.KeyValue, key and value as Buffers (etcd3's shape). */
export function decodeKeyValue(buf: Buffer, pos: number, end: number): IKeyValue {
  const empty = Buffer.alloc(0);
  const kv: IKeyValue = { key: empty, create_revision: '0', mod_revision: '0', version: '0', value: empty, lease: '0' };
  while (pos < end) {
    const [tag, at] = lengthAt(buf, pos, end);
    const field = tag >>> 3;
    const wire = tag & 7;
    if ((field === 1 || field === 5) && wire === BYTES) {
      const [length, start] = lengthAt(buf, at, end);
      pos = start + length;
      if (pos > end) truncated();
      if (field === 1) kv.key = view(buf, start, pos);
      else kv.value = view(buf, start, pos);
    } else if ((field === 2 || field === 3 || field === 4 || field === 6) && wire === VARINT) {
      const [value, next] = int64At(buf, at, end, true);
      pos = next;
      if (field === 2) kv.create_revision = value;
      else if (field === 3) kv.mod_revision = value;
      else if (field === 4) kv.version = value;
      else kv.lease = value;
    } else pos = skipField(buf, at, end, wire);
  }
  return kv;
}

/** Calls `each(field, start, end)` for every length-delimited field of the message at [pos, end), and `scalar(field, value)` for varints. */
function fields(
  buf: Buffer,
  pos: number,
  end: number,
  each: (field: number, start: number, end: number) => void,
  scalar?: (field: number, value: string) => void,
): void {
  while (pos < end) {
    const [tag, at] = lengthAt(buf, pos, end);
    const field = tag >>> 3;
    const wire = tag & 7;
    if (wire === BYTES) {
      const [length, start] = lengthAt(buf, at, end);
      pos = start + length;
      if (pos > end) truncated();
      each(field, start, pos);
    } else if (wire === VARINT && scalar) {
      const [value, next] = int64At(buf, at, end, true);
      pos = next;
      scalar(field, value);
    } else pos = skipField(buf, at, end, wire);
  }
}

function decodeResponseOp(buf: Buffer, pos: number, end: number): IResponseOp {
  const op = {} as IResponseOp & { response?: string };
  fields(buf, pos, end, (field, s, e) => {
    if (field === 1) {
      const r = { header: absent, kvs: [] as IKeyValue[], more: false, count: '0' };
      fields(
        buf,
        s,
        e,
        (f, s2, e2) => {
          if (f === 1) r.header = decodeHeader(buf, s2, e2);
          else if (f === 2) r.kvs.push(decodeKeyValue(buf, s2, e2));
        },
        (f, v) => {
          if (f === 3) r.more = v !== '0';
          else if (f === 4) r.count = v;
        },
      );
      op.response_range = r;
      op.response = 'response_range';
    } else if (field === 2) {
      const r = { header: absent, prev_kv: null as unknown as IKeyValue };
      fields(buf, s, e, (f, s2, e2) => {
        if (f === 1) r.header = decodeHeader(buf, s2, e2);
        else if (f === 2) r.prev_kv = decodeKeyValue(buf, s2, e2);
      });
      op.response_put = r;
      op.response = 'response_put';
    } else if (field === 3) {
      const r = { header: absent, deleted: '0', prev_kvs: [] as IKeyValue[] };
      fields(
        buf,
        s,
        e,
        (f, s2, e2) => {
          if (f === 1) r.header = decodeHeader(buf, s2, e2);
          else if (f === 3) r.prev_kvs.push(decodeKeyValue(buf, s2, e2));
        },
        (f, v) => {
          if (f === 2) r.deleted = v;
        },
      );
      op.response_delete_range = r;
      op.response = 'response_delete_range';
    } else if (field === 4) {
      op.response_txn = decodeTxn(buf, s, e);
      op.response = 'response_txn';
    }
  });
  return op;
}

function decodeTxn(buf: Buffer, pos: number, end: number): ITxnResponse {
  const res: ITxnResponse = { header: absent, succeeded: false, responses: [] };
  fields(
    buf,
    pos,
    end,
    (field, s, e) => {
      if (field === 1) res.header = decodeHeader(buf, s, e);
      else if (field === 3) res.responses.push(decodeResponseOp(buf, s, e));
    },
    (field, value) => {
      if (field === 2) res.succeeded = value !== '0';
    },
  );
  return res;
}

/** etcdserverpb.TxnResponse. */
export function decodeTxnResponse(buf: Buffer): ITxnResponse {
  return decodeTxn(buf, 0, buf.length);
}
