/**
 * Pure byte-range arithmetic for the ownership guard: etcd orders and matches keys as bytes, so
 * prefixes are computed on the UTF-8 encoding (a prefix of the JavaScript string could split a
 * surrogate pair and match nothing).
 */

/** The longest common prefix of two keys. */
export function commonPrefix(a: Buffer, b: Buffer): Buffer {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return a.subarray(0, i);
}

/** The longest common prefix of non-empty `keys`. */
export function commonPrefixOf(keys: readonly Buffer[]): Buffer {
  let prefix = keys[0];
  for (let i = 1; i < keys.length && prefix.length > 0; i++) prefix = commonPrefix(prefix, keys[i]);
  return prefix;
}

export function hasPrefix(key: Buffer, prefix: Buffer): boolean {
  return key.length >= prefix.length && key.subarray(0, prefix.length).equals(prefix);
}

/** True when a watch over `prefix` would cover a range etcd already refused (one of `denied`). */
export function coversDenied(prefix: Buffer, denied: readonly Buffer[]): boolean {
  return denied.some((d) => hasPrefix(d, prefix));
}

/**
 * Prefixes that together cover `keys` with as few ranges as possible while never covering a
 * refused range: the common prefix of all keys, else of each half (keys sorted), recursively. A
 * single key is its own range (whoever may write a key may watch it).
 */
export function coveringPrefixes(keys: readonly Buffer[], denied: readonly Buffer[]): Buffer[] {
  const sorted = [...keys].sort(Buffer.compare);
  const split = (part: Buffer[]): Buffer[] => {
    if (part.length === 0) return [];
    const prefix = commonPrefixOf(part);
    if (part.length === 1 || !coversDenied(prefix, denied)) return [prefix];
    const mid = part.length >> 1;
    return [...split(part.slice(0, mid)), ...split(part.slice(mid))];
  };
  return split(sorted);
}

/**
 * Where a watch that replaces another must start so that nothing is missed: after the last
 * revision the old watch is known to have delivered (`progress`), and no later than just after the
 * write that made the new key ours (`written`).
 */
export function resumeRevision(progress: bigint, written: bigint): bigint {
  return (progress < written ? progress : written) + 1n;
}
