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
 * A large read is decoded once by a cold process (the CLI's `ls`): every key and value is first
 * taken as a slice of one latin1 string of the whole message (one call for the message instead of
 * two UTF-8 decodes per key: 10,000 keys in about 5 ms instead of 10). That is right when every
 * key and value byte is ASCII (the usual registry), which is checked after, without a pass of our
 * own over the bytes: the framing's bytes of 0x80 and up (varints: every real answer has them) are
 * counted as they are read, and the whole message must hold no others. UTF-8 gives each such byte
 * of the latin1 string two bytes, so Buffer.byteLength counts them (natively). Otherwise the
 * message is decoded again, as UTF-8.
 */
export function decodeRangeEntries(buf: Buffer, skip: number): RangeEntry[] {
  const text = buf.toString('latin1');
  const read = decodeEntries(buf, skip, text);
  return Buffer.byteLength(text, 'utf8') - text.length === read.framingHigh ? read.entries : decodeEntries(buf, skip, undefined).entries;
}

/** The bytes of 0x80 and up in [from, to): framing this decoder skips over (a rare path). */
function highBytes(buf: Buffer, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (buf[i] >= 0x80) n++;
  return n;
}

/**
 * The entries of `buf`, keys and values sliced from `text` (or decoded as UTF-8 when undefined),
 * and how many bytes of 0x80 and up the framing around them holds (everything but the keys and
 * values). One loop with the varints read in line (no call and no array per field): a cold
 * process runs it 10,000 times before V8 has compiled it.
 */
function decodeEntries(buf: Buffer, skip: number, text: string | undefined): { entries: RangeEntry[]; framingHigh: number } {
  const entries: RangeEntry[] = [];
  const end = buf.length;
  let high = 0;
  let pos = 0;
  while (pos < end) {
    const tag = buf[pos];
    if (tag !== 0x12) {
      // Not kvs: the header, more, count, or a field this decoder does not know.
      const [fullTag, at] = lengthAt(buf, pos, end);
      const next = skipField(buf, at, end, fullTag & 7);
      high += highBytes(buf, pos, next);
      pos = next;
      continue;
    }
    // kvs (2), bytes: one mvccpb.KeyValue, read in [pos, kvEnd).
    pos++;
    let length = 0;
    let scale = 1;
    let b: number;
    do {
      if (pos >= end) truncated();
      b = buf[pos++];
      length += (b & 0x7f) * scale;
      scale *= 128;
      if (b >= 0x80) high++;
    } while (b >= 0x80);
    const kvEnd = pos + length;
    if (kvEnd > end) truncated();
    let key = '';
    let value = '';
    let revision = '0';
    while (pos < kvEnd) {
      const field = buf[pos];
      if (field === 0x0a || field === 0x2a) {
        // key (1) or value (5): a length, then the bytes.
        pos++;
        length = 0;
        scale = 1;
        do {
          if (pos >= kvEnd) truncated();
          b = buf[pos++];
          length += (b & 0x7f) * scale;
          scale *= 128;
          if (b >= 0x80) high++;
        } while (b >= 0x80);
        if (pos + length > kvEnd) truncated();
        const s = text !== undefined ? text.slice(pos, pos + length) : buf.toString('utf8', pos, pos + length);
        if (field === 0x0a) key = skip === 0 ? s : s.slice(skip);
        else value = s;
        pos += length;
      } else if (field === 0x18) {
        // mod_revision (3): up to 7 bytes fit a double exactly (the common case, without BigInt).
        const start = ++pos;
        let n = 0;
        scale = 1;
        do {
          if (pos >= kvEnd) truncated();
          b = buf[pos++];
          n += (b & 0x7f) * scale;
          scale *= 128;
          if (b >= 0x80) high++;
        } while (b >= 0x80 && pos - start < 7);
        if (b < 0x80) revision = String(n);
        else {
          const read = pos;
          [revision, pos] = int64At(buf, start, kvEnd, true);
          high += highBytes(buf, read, pos);
        }
      } else if (field === 0x10 || field === 0x20 || field === 0x30) {
        // create_revision (2), version (4), lease (6): varints, not needed, skipped.
        pos++;
        while (pos < kvEnd && buf[pos] >= 0x80) {
          pos++;
          high++;
        }
        if (pos++ >= kvEnd) truncated();
      } else {
        // A tag of more than one byte, or a field this decoder does not know.
        const [fullTag, at] = lengthAt(buf, pos, kvEnd);
        const next = skipField(buf, at, kvEnd, fullTag & 7);
        high += highBytes(buf, pos, next);
        pos = next;
      }
    }
    entries.push({ key, value, revision });
  }
  return { entries, framingHigh: high };
}
