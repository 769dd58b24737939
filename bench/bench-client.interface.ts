/** The map a watcher hands over: ours and the seed's design give a plain object, raw etcd3 its live Map. */
export type BenchMap = ReadonlyMap<string, string> | Readonly<Record<string, string>>;

export type BenchHandler = (map: BenchMap) => void;

/** The three designs measured side by side. */
export type ImplName = 'raw' | 'seed' | 'ours';

export const IMPL_LABELS: Record<ImplName, string> = {
  raw: 'raw etcd3 (floor)',
  seed: 'seed design',
  ours: 'ours (createRegistry)',
};

export interface BenchClientOptions {
  endpoints: string[];
  ttlSeconds: number;
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

export function mapSize(map: BenchMap): number {
  return map instanceof Map ? map.size : Object.keys(map).length;
}
