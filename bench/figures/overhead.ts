import type { ChildProcess } from 'child_process';
import { loadavg } from 'os';
import { BenchContext, withEtcd } from '../bench-context';
import { forkScript, stop } from '../fork-script';
import { SIDES, type OverheadJob, type OverheadRound, type PairName, type Side } from '../overhead-job';
import { IntervalVerdict, intervalVerdict, median, medianInterval, MedianInterval, percentile } from '../stats';

/** Targets of the figure: the client by name against the fixed-address client of the same instance. */
export const TARGET_OVERHEAD_P50 = 1.05;
export const TARGET_OVERHEAD_THROUGHPUT = 0.95;

/**
 * A target's verdict, from the 95 % interval of the median per-round ratio: met when the whole
 * interval is on the target's side, missed when the whole interval is on the other side, else not
 * shown either way at this noise (a median on the right side alone is not "met").
 */
export type OverheadVerdict = IntervalVerdict;

/** One ratio (a side / the fixed-address client) over the rounds: the median per-round ratio, its 95 % interval and min–max. */
export interface RatioInterval extends MedianInterval {
  min: number;
  max: number;
}

export interface OverheadPair {
  pair: PairName;
  label: string;
  /** By name / fixed, one ratio per round: p50 of the round's sequential calls. */
  p50Ratio: RatioInterval;
  /** By name / fixed, one ratio per round: the median of the round's block ratios of calls per second with `concurrency` in flight (see OverheadRound.throughputBlockRatios). */
  throughputRatio: RatioInterval;
  /** The A/A control: the second fixed-address client / the first, the same ratios. Its interval is the noise floor. */
  p50RatioAA: RatioInterval;
  throughputRatioAA: RatioInterval;
  /** Medians over rounds of each side's own figures, for scale. */
  p50Ms: Record<Side, number>;
  throughput: Record<Side, number>;
  p50Verdict: OverheadVerdict;
  throughputVerdict: OverheadVerdict;
}

/** The run's shape (rounds, blocks, calls per block, concurrency) as the job gave it to the client process. */
type OverheadShape = Pick<
  OverheadJob,
  'rounds' | 'sequentialCalls' | 'sequentialBlocks' | 'throughputBlocks' | 'throughputBlockCalls' | 'concurrency'
>;

export interface OverheadResult extends OverheadShape {
  /** The machine's 1-, 5- and 15-minute load averages as the rounds began and as they ended (a shared machine's state). */
  loadAverage: { start: number[]; end: number[] };
  pairs: OverheadPair[];
  /** Every round's figures, as measured. */
  raw: OverheadRound[];
}

export const PAIR_LABELS: Record<PairName, string> = {
  http: 'HTTP: RegistryHttpService by name vs @nestjs/axios HttpService to the URL',
  tcp: 'TCP: RegistryClientProxy by name vs ClientProxyFactory (ClientTCP) to host:port',
  grpc: 'gRPC: channel to etcd-registry:///<service> vs channel to host:port',
};

function ratioInterval(values: number[]): RatioInterval {
  const finite = values.filter((v) => Number.isFinite(v));
  return { ...medianInterval(finite), min: Math.min(...finite), max: Math.max(...finite) };
}

/** Folds the rounds of each pair into its ratios (with their intervals) and verdicts. */
export function summarizeOverhead(raw: OverheadRound[], pairs: PairName[]): OverheadPair[] {
  return pairs.map((pair) => {
    const rows = raw.filter((r) => r.pair === pair);
    const p50Ratios = (side: Side) => ratioInterval(rows.map((r) => r.p50Ms[side] / r.p50Ms.fixed));
    // A round's throughput ratio: the median of its blocks' ratios (a pause of the machine hits one block, not the round).
    const throughputRatios = (side: 'byName' | 'twin') => ratioInterval(rows.map((r) => median(r.throughputBlockRatios[side])));
    const medianOf = (of: 'p50Ms' | 'throughput') => {
      const out = {} as Record<Side, number>;
      for (const side of SIDES)
        out[side] = percentile(
          rows.map((r) => r[of][side]),
          50,
        );
      return out;
    };
    const p50Ratio = p50Ratios('byName');
    const throughputRatio = throughputRatios('byName');
    return {
      pair,
      label: PAIR_LABELS[pair],
      p50Ratio,
      throughputRatio,
      p50RatioAA: p50Ratios('twin'),
      throughputRatioAA: throughputRatios('twin'),
      p50Ms: medianOf('p50Ms'),
      throughput: medianOf('throughput'),
      p50Verdict: intervalVerdict(p50Ratio, TARGET_OVERHEAD_P50, 'below'),
      throughputVerdict: intervalVerdict(throughputRatio, TARGET_OVERHEAD_THROUGHPUT, 'above'),
    };
  });
}

const r3 = (x: number) => x.toFixed(3);
export const intervalText = (s: RatioInterval) => `x${r3(s.median)} [${r3(s.low)}, ${r3(s.high)}]`;

/**
 * Figure 9: per-call overhead of each client wing by service name against the fixed-address
 * client of the same instance, with a second fixed-address client as the A/A control. One server
 * process (a Nest HTTP + TCP app and a grpc-js Greeter, registered in a fresh etcd as one instance
 * of `user-service`), one client process holding the three sides of every pair
 * (bench/overhead-client.ts), many rounds of short interleaved blocks. Reported: the median over
 * rounds of the per-round ratio (side / fixed) of the p50 of sequential calls and of the throughput
 * at a fixed concurrency, with its 95 % order-statistic interval, for the client by name and for the
 * A/A control; the verdict is from the interval (see OverheadVerdict). With `--profile`, the client
 * process writes a CPU profile to bench/results/profiles/.
 */
export async function measureOverhead(ctx: BenchContext): Promise<OverheadResult> {
  const pairs: PairName[] = ['http', 'tcp', 'grpc'];
  // Blocks of 20 sequential calls and of 100 calls in flight (10-30 ms each), the three sides taking
  // turns: a drift of the shared machine's load lasts longer than that, so it falls on the three alike.
  const sizes = ctx.small
    ? { rounds: 21, sequentialCalls: 200, sequentialBlocks: 10, throughputBlocks: { http: 15, tcp: 5, grpc: 20 }, warmupCalls: 500 }
    : { rounds: 31, sequentialCalls: 400, sequentialBlocks: 20, throughputBlocks: { http: 30, tcp: 10, grpc: 40 }, warmupCalls: 1000 };
  // TCP gets fewer throughput blocks: Nest's TCP client leaves Nagle on, so with calls in flight it
  // runs at about 2,000 calls/s whatever the CPU, and its blocks agree to a few per mille.
  const throughputBlockCalls = 100;
  const concurrency = 16;
  return withEtcd(async (etcd) => {
    const prefix = '/bench-overhead/';
    let server: ChildProcess | undefined;
    let client: ChildProcess | undefined;
    try {
      const started = await forkScript<{ event: string; http: string; tcp: { host: string; port: number }; grpc: string }>(
        'overhead-server.ts',
        { ETCD_ENDPOINTS: etcd.endpoints.join(','), PREFIX: prefix },
      );
      server = started.child;
      const { http, tcp, grpc } = started.first;
      const profile = ctx.profileDir
        ? ['--cpu-prof', `--cpu-prof-dir=${ctx.profileDir}`, '--cpu-prof-name=overhead-client.cpuprofile']
        : [];
      const opened = await forkScript<{ event: string }>('overhead-client.ts', {}, profile);
      client = opened.child;
      const job: OverheadJob = {
        endpoints: etcd.endpoints,
        prefix,
        http,
        tcp,
        grpc,
        pairs,
        concurrency,
        throughputBlockCalls,
        seed: 20,
        ...sizes,
      };
      const child = client;
      const loadStart = loadavg();
      const raw = await new Promise<OverheadRound[]>((resolve, reject) => {
        child.on('message', (m: { event: string; rounds?: OverheadRound[]; error?: string }) => {
          if (m.event === 'done') resolve(m.rounds!);
          else if (m.event === 'failed') reject(new Error(`overhead client: ${m.error}`));
        });
        child.once('exit', (code, signal) => reject(new Error(`overhead client exited (${code ?? signal})`)));
        child.send(job);
      });
      const loadAverage = { start: loadStart, end: loadavg() };
      const result = summarizeOverhead(raw, pairs);
      const la = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
      ctx.log(`   load average ${la(loadAverage.start)} at the start, ${la(loadAverage.end)} at the end`);
      for (const p of result) {
        ctx.log(
          `   ${p.pair}: p50 ${intervalText(p.p50Ratio)} ${p.p50Verdict} (<= ${TARGET_OVERHEAD_P50}), A/A ${intervalText(p.p50RatioAA)}; ` +
            `throughput ${intervalText(p.throughputRatio)} ${p.throughputVerdict} (>= ${TARGET_OVERHEAD_THROUGHPUT}), A/A ${intervalText(p.throughputRatioAA)}; ` +
            `p50 ${p.p50Ms.byName.toFixed(3)} vs ${p.p50Ms.fixed.toFixed(3)} ms, ${p.throughput.byName.toFixed(0)} vs ${p.throughput.fixed.toFixed(0)} calls/s`,
        );
      }
      return {
        rounds: sizes.rounds,
        sequentialCalls: sizes.sequentialCalls,
        sequentialBlocks: sizes.sequentialBlocks,
        throughputBlocks: sizes.throughputBlocks,
        throughputBlockCalls,
        concurrency,
        loadAverage,
        pairs: result,
        raw,
      };
    } finally {
      // The client exits by itself once it has answered (its profile is written then); the server is killed by PID.
      const c = client;
      if (c && c.exitCode === null && c.signalCode === null)
        await Promise.race([new Promise((r) => c.once('exit', r)), new Promise((r) => setTimeout(r, 5000))]);
      await stop(client);
      await stop(server);
    }
  });
}
