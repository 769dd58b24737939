/**
 * The protobuf wire format's primitives shared by the hand-written codecs of this folder
 * (lean-range.ts, txn-codec.ts, watch-codec.ts): etcd's int64/uint64 fields are decimal strings,
 * as etcd3 gives them.
 */

export const VARINT = 0;
export const FIXED64 = 1;
export const BYTES = 2;
export const FIXED32 = 5;

/** etcdserverpb.ResponseHeader. */
export interface LeanResponseHeader {
  cluster_id: string; // 1
  member_id: string; // 2
  revision: string; // 3
  raft_term: string; // 4
}

export const emptyHeader = (): LeanResponseHeader => ({ cluster_id: '0', member_id: '0', revision: '0', raft_term: '0' });

export const truncated = (): never => {
  throw new RangeError('protobuf: truncated message');
};

/** An int64/uint64 varint at `pos` as a decimal string (as etcd3 returns them), and where it ends. */
export function int64At(buf: Buffer, pos: number, end: number, signed: boolean): [string, number] {
  let result = 0;
  let scale = 1;
  // Up to 7 bytes (49 bits) fit a double exactly: the common case, without BigInt.
  for (let i = pos; i < pos + 7; i++) {
    if (i >= end) truncated();
    const b = buf[i];
    result += (b & 0x7f) * scale;
    if (b < 0x80) return [String(result), i + 1];
    scale *= 128;
  }
  let big = 0n;
  for (let i = pos, shift = 0n; ; i++, shift += 7n) {
    if (i >= end) truncated();
    if (shift >= 70n) throw new RangeError('protobuf: varint longer than 10 bytes');
    const b = buf[i];
    big |= BigInt(b & 0x7f) << shift;
    if (b < 0x80) {
      big = BigInt.asUintN(64, big);
      return [String(signed ? BigInt.asIntN(64, big) : big), i + 1];
    }
  }
}

/**
 * Where the field whose tag ended at `pos` ends, for a field this decoder does not read (or a known
 * field with an unexpected wire type: skipped, as protobuf readers do).
 */
export function skipField(buf: Buffer, pos: number, end: number, wireType: number): number {
  if (wireType === VARINT) {
    while (pos < end && buf[pos] >= 0x80) pos++;
    return pos < end ? pos + 1 : truncated();
  }
  if (wireType === FIXED64) return pos + 8 <= end ? pos + 8 : truncated();
  if (wireType === FIXED32) return pos + 4 <= end ? pos + 4 : truncated();
  if (wireType === BYTES) {
    const [length, start] = lengthAt(buf, pos, end);
    return start + length <= end ? start + length : truncated();
  }
  throw new RangeError(`protobuf: unsupported wire type ${wireType}`);
}

/** A length or a tag (a varint that fits 32 bits) at `pos`, and where it ends. */
export function lengthAt(buf: Buffer, pos: number, end: number): [number, number] {
  let result = 0;
  let scale = 1;
  for (let i = pos; i < pos + 5; i++) {
    if (i >= end) truncated();
    const b = buf[i];
    result += (b & 0x7f) * scale;
    if (b < 0x80) return [result, i + 1];
    scale *= 128;
  }
  throw new RangeError('protobuf: varint too long for a length or tag');
}

export function decodeHeader(buf: Buffer, pos: number, end: number): LeanResponseHeader {
  const header = emptyHeader();
  while (pos < end) {
    const [tag, at] = lengthAt(buf, pos, end);
    const field = tag >>> 3;
    if ((tag & 7) !== VARINT || field < 1 || field > 4) {
      pos = skipField(buf, at, end, tag & 7);
      continue;
    }
    const [value, next] = int64At(buf, at, end, field === 3);
    pos = next;
    if (field === 1) header.cluster_id = value;
    else if (field === 2) header.member_id = value;
    else if (field === 3) header.revision = value;
    else header.raft_term = value;
  }
  return header;
}

/**
 * Bytes of one message, fields in the order written (the encoder of txn-codec.ts, lean-range.ts and
 * the benchmark's Node floor); nested messages are encoded first and go in as bytes.
 */
export class ProtoWriter {
  private readonly parts: (number[] | Buffer)[] = [];
  private small: number[] = [];
  private size = 0;

  private varint(value: number): void {
    while (value > 0x7f) {
      this.small.push((value % 128) | 0x80);
      value = Math.floor(value / 128);
    }
    this.small.push(value);
  }

  private tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  /** An int64, uint64, enum or bool field (omitted when 0 unless `always`: a oneof member). */
  int(field: number, value: number | string | boolean | bigint | undefined, always = false): void {
    if (value === undefined || value === null) return;
    if (!always && (value === false || value === 0 || value === '0' || value === 0n)) return;
    this.tag(field, VARINT);
    const n = value === true ? 1 : value === false ? 0 : typeof value === 'number' ? value : Number(value);
    if (Number.isSafeInteger(n) && n >= 0) return this.varint(n);
    // Beyond 2^53, or negative (two's complement on 64 bits: ten bytes).
    let v = BigInt.asUintN(64, BigInt(value));
    while (v > 0x7fn) {
      this.small.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.small.push(Number(v));
  }

  bytes(field: number, value: Buffer | undefined, always = false): void {
    if (value === undefined || value === null || (value.length === 0 && !always)) return;
    this.tag(field, BYTES);
    this.varint(value.length);
    this.flush();
    this.parts.push(value);
    this.size += value.length;
  }

  message(field: number, inner: ProtoWriter): void {
    this.bytes(field, inner.finish(), true);
  }

  finish(): Buffer {
    this.flush();
    const out = Buffer.allocUnsafe(this.size);
    let at = 0;
    for (const part of this.parts) {
      if (Buffer.isBuffer(part)) at += part.copy(out, at);
      else for (const b of part) out[at++] = b;
    }
    return out;
  }

  private flush(): void {
    if (this.small.length === 0) return;
    this.parts.push(this.small);
    this.size += this.small.length;
    this.small = [];
  }
}
