import { isAscii } from 'buffer';
import { int64At, lengthAt, skipField, truncated } from './proto-wire';

/** One key of a prefix read: the key without the namespace, its value and its mod_revision. */
export interface RangeEntry {
  key: string;
  value: string;
  revision: string;
}

/**
 * What a one-shot prefix read needs of a RangeResponse (rpc.proto): each KeyValue's key without
 * its first `skip` characters (the namespace), value and mod_revision, in the answer's order; the
 * header, `more`, `count` and the other KeyValue fields are skipped, not decoded. The same keys,
 * values and revisions as decodeRangeResponse's kvs (test/unit/lean-range.spec.ts checks it).
 *
 * A large read is decoded once by a cold process (the CLI's `ls`): when the whole message is ASCII
 * (the usual registry), it is turned into one string by one call and every key and value is a
 * slice of it (byte offsets are character offsets then), instead of two UTF-8 decodes per key.
 */
export function decodeRangeEntries(buf: Buffer, skip: number): RangeEntry[] {
  const entries: RangeEntry[] = [];
  const text = isAscii(buf) ? buf.toString('latin1') : undefined;
  const end = buf.length;
  let pos = 0;
  while (pos < end) {
    const [tag, at] = lengthAt(buf, pos, end);
    if (tag !== 0x12) {
      pos = skipField(buf, at, end, tag & 7);
      continue;
    }
    // kvs (2), bytes: one mvccpb.KeyValue.
    const [length, start] = lengthAt(buf, at, end);
    pos = start + length;
    if (pos > end) truncated();
    entries.push(decodeEntry(buf, text, start, pos, skip));
  }
  return entries;
}

/** mvccpb.KeyValue from [pos, end): key (1), mod_revision (3), value (5); the other fields skipped. */
function decodeEntry(buf: Buffer, text: string | undefined, pos: number, end: number, skip: number): RangeEntry {
  let key = '';
  let value = '';
  let revision = '0';
  while (pos < end) {
    const tag = buf[pos++];
    if (tag === 0x0a || tag === 0x2a) {
      let length = 0;
      let scale = 1;
      let b: number;
      do {
        if (pos >= end) truncated();
        b = buf[pos++];
        length += (b & 0x7f) * scale;
        scale *= 128;
      } while (b >= 0x80);
      if (pos + length > end) truncated();
      const s = text !== undefined ? text.slice(pos, pos + length) : buf.toString('utf8', pos, pos + length);
      if (tag === 0x0a) key = skip === 0 ? s : s.slice(skip);
      else value = s;
      pos += length;
    } else if (tag === 0x18) {
      // mod_revision: up to 7 bytes fit a double exactly (the common case, without BigInt).
      let n = 0;
      let scale = 1;
      let b = 0x80;
      const start = pos;
      for (let i = 0; i < 7 && b >= 0x80; i++) {
        if (pos >= end) truncated();
        b = buf[pos++];
        n += (b & 0x7f) * scale;
        scale *= 128;
      }
      if (b < 0x80) revision = String(n);
      else [revision, pos] = int64At(buf, start, end, true);
    } else if (tag === 0x10 || tag === 0x20 || tag === 0x30) {
      // create_revision (2), version (4), lease (6): not needed, skipped.
      while (pos < end && buf[pos] >= 0x80) pos++;
      if (pos++ >= end) truncated();
    } else {
      const [fullTag, at] = lengthAt(buf, pos - 1, end);
      pos = skipField(buf, at, end, fullTag & 7);
    }
  }
  return { key, value, revision };
}
