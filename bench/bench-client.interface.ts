/** The map a watcher hands over: ours and the seed's design give a plain object, raw etcd3 its live Map. */
export type BenchMap = ReadonlyMap<string, string> | Readonly<Record<string, string>>;

/** What changed since the previous call (ours gives it; the others do not). */
export interface BenchChanges {
  readonly added: readonly string[];
  readonly removed: readonly string[];
}

export type BenchHandler = (map: BenchMap, changes?: BenchChanges) => void;

/**
 * The three designs measured side by side (in Node), two floors measured in figure 1 only (raw etcd3
 * writing with our guarded transactions, and Go clientv3), and in figure 1 only too the seed's design
 * written in Go on clientv3 (`goseed`, an anchor: what the Go library we port would do) and, when
 * asked for (`--impls=...,h2`), Node's own floor: the raw floor's work on Node's http2 module with
 * hand-written gRPC framing and codecs (`h2`, bench/raw-h2.ts).
 */
export type ImplName = 'raw' | 'rawtxn' | 'h2' | 'seed' | 'ours' | 'go' | 'goseed';

export const IMPL_LABELS: Record<ImplName, string> = {
  raw: 'raw etcd3 (floor)',
  rawtxn: 'raw etcd3, guarded (Txn)',
  h2: 'raw Node http2 (floor)',
  seed: 'seed design',
  ours: 'ours (createRegistry)',
  go: 'Go clientv3 (floor)',
  goseed: 'Go seed design (anchor)',
};

export interface BenchClientOptions {
  endpoints: string[];
  ttlSeconds: number;
  /** Ours only: the registry's anti-entropy interval (default: the registry's own default). */
  antiEntropyIntervalMs?: number;
}

/** One registry with its own etcd client, whatever its design. */
export interface BenchClient {
  register(key: string, value: string): Promise<void>;
  unregister(key: string): Promise<void>;
  /** Calls `fn` with the whole map under `prefix`, then after changes. Resolves after the first call. */
  watch(prefix: string, fn: BenchHandler): Promise<void>;
  close(): Promise<void>;
}

export function mapHas(map: BenchMap, key: string): boolean {
  return map instanceof Map ? map.has(key) : Object.prototype.hasOwnProperty.call(map, key);
}

/** Reflect.ownKeys, not Object.keys: one listing of the keys, no per-key descriptor (a record's keys are all enumerable strings). */
export function mapSize(map: BenchMap): number {
  return map instanceof Map ? map.size : Reflect.ownKeys(map).length;
}
