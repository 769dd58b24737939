import { Etcd3 } from 'etcd3';
import { EtcdServer, startEtcd } from '../test/support/etcd-launcher';
import { EtcdMember } from '../test/support/etcd-launcher';
import { ImplName } from './bench-client.interface';

/** Sizes of one run: the full run (`npm run bench`) and the CI run (`npm run bench -- --small`). */
export interface BenchSizes {
  /** Rounds per figure, interleaved across designs; medians and spreads are over rounds. */
  rounds: number;
  propagationChangesPerRound: number;
  departureRounds: number;
  departureTtlSeconds: number;
  scaleInstances: number;
  scaleRegistries: number;
  scaleAgents: number;
  fanoutHandlers: number;
  fanoutKeys: number;
  fanoutChanges: number;
  loadKeys: number;
  loadRegistries: number;
  loadWatchers: number;
  loadSeconds: number;
  growthSizes: number[];
  growthChanges: number;
  growthBurst: number;
  /** Watcher processes whose RSS is measured at the largest map, per design (the median is reported). */
  memorySamples: number;
  /** Picks per picker in the pickers figure (no etcd). */
  pickerPicks: number;
}

export const FULL_SIZES: BenchSizes = {
  rounds: 3,
  propagationChangesPerRound: 400,
  departureRounds: 3,
  departureTtlSeconds: 3,
  scaleInstances: 10_000,
  scaleRegistries: 100,
  scaleAgents: 4,
  fanoutHandlers: 100,
  fanoutKeys: 1000,
  fanoutChanges: 100,
  loadKeys: 1000,
  loadRegistries: 100,
  loadWatchers: 100,
  loadSeconds: 60,
  growthSizes: [1000, 10_000, 100_000],
  growthChanges: 100,
  growthBurst: 200,
  memorySamples: 3,
  pickerPicks: 5_000_000,
};

export const SMALL_SIZES: BenchSizes = {
  rounds: 1,
  propagationChangesPerRound: 30,
  departureRounds: 1,
  departureTtlSeconds: 2,
  scaleInstances: 200,
  scaleRegistries: 10,
  scaleAgents: 1,
  fanoutHandlers: 100,
  fanoutKeys: 100,
  fanoutChanges: 10,
  loadKeys: 100,
  loadRegistries: 10,
  loadWatchers: 10,
  loadSeconds: 4,
  growthSizes: [100, 500],
  growthChanges: 10,
  growthBurst: 20,
  memorySamples: 1,
  pickerPicks: 1_000_000,
};

export interface BenchContext {
  small: boolean;
  sizes: BenchSizes;
  impls: ImplName[];
  /** Designs measured in figure 1 only, interleaved with `impls` there (the guarded floor, `rawtxn`; the Node http2 floor, `h2`, when named). */
  propagationOnly: ImplName[];
  /** The Go clientv3 floor program, when Go could build it (figure 1 measures it beside the Node designs). */
  goFloor?: string;
  /** The Go seed design program (bench/go/seed), built beside the floor: an anchor of figure 1 only. */
  goSeed?: string;
  /** Where CPU profiles go, when asked for with --profile. */
  profileDir?: string;
  log(message: string): void;
}

/** etcd flags for the benchmark: room for 50k keys and big transactions for prefilling. */
export const BENCH_ETCD_ARGS = ['--quota-backend-bytes', String(8 * 1024 ** 3), '--max-txn-ops', '1024', '--snapshot-count', '1000000'];

export type BenchEtcd = EtcdServer & { member: EtcdMember; client: Etcd3; port: number };

/** Starts a fresh etcd (stopped by PID when `fn` is done) with a raw client for the harness itself. */
export async function withEtcd<T>(fn: (etcd: BenchEtcd) => Promise<T>): Promise<T> {
  const server = await startEtcd(BENCH_ETCD_ARGS);
  const client = new Etcd3({ hosts: server.endpoints.map((e) => `http://${e}`) });
  try {
    return await fn({ ...server, client, port: server.member.config.clientPort });
  } finally {
    client.close();
    await server.stop();
  }
}

/** Writes `count` keys `${prefix}${name(i)}` in transactions of up to 1000 puts. */
export async function prefill(client: Etcd3, prefix: string, count: number, value: string): Promise<void> {
  const kv = (client as unknown as { kv: { txn(req: object): Promise<unknown> } }).kv;
  for (let start = 0; start < count; start += 1000) {
    const success = [];
    for (let i = start; i < Math.min(count, start + 1000); i++) {
      success.push({ request_put: { key: Buffer.from(`${prefix}svc-${i}`), value: Buffer.from(value) } });
    }
    await kv.txn({ compare: [], success, failure: [] });
  }
}

/** A registration's value of realistic size (about 80 bytes). */
export function instanceValue(i: number): string {
  return JSON.stringify({ host: '127.0.0.1', port: 3000 + (i % 60000), pid: 100000 + i, version: '1.4.2', zone: 'local-a' });
}

export const nowNs = () => process.hrtime.bigint();
export const msBetween = (t0: bigint | string, t1: bigint | string) => Number(BigInt(t1) - BigInt(t0)) / 1e6;
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
