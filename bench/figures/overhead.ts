import { ChildProcess, fork } from 'child_process';
import { join } from 'path';
import { BenchContext, withEtcd } from '../bench-context';
import type { OverheadJob, OverheadRound, PairName } from '../overhead-client';
import { percentile, spread, Spread } from '../stats';

/** Targets of the figure: the client by name against the fixed-address client of the same instance. */
export const TARGET_OVERHEAD_P50 = 1.05;
export const TARGET_OVERHEAD_THROUGHPUT = 0.95;

/** The median of per-round ratios, its interquartile range and its min–max. */
export interface RatioSpread extends Spread {
  p25: number;
  p75: number;
}

export interface OverheadPair {
  pair: PairName;
  label: string;
  /** By name / fixed, one ratio per round: p50 of the round's sequential calls. */
  p50Ratio: RatioSpread;
  /** By name / fixed, one ratio per round: calls per second with `concurrency` in flight. */
  throughputRatio: RatioSpread;
  /** Medians over rounds of each side's own figures, for scale. */
  p50ByNameMs: number;
  p50FixedMs: number;
  throughputByName: number;
  throughputFixed: number;
  p50Met: boolean;
  throughputMet: boolean;
}

export interface OverheadResult {
  rounds: number;
  sequentialCalls: number;
  throughputCalls: number;
  throughputBlocks: number;
  concurrency: number;
  pairs: OverheadPair[];
  /** Every round's figures, as measured. */
  raw: OverheadRound[];
}

export const PAIR_LABELS: Record<PairName, string> = {
  http: 'HTTP: RegistryHttpService by name vs @nestjs/axios HttpService to the URL',
  tcp: 'TCP: RegistryClientProxy by name vs ClientProxyFactory (ClientTCP) to host:port',
  grpc: 'gRPC: channel to etcd-registry:///<service> vs channel to host:port',
};

const HOOK = join(__dirname, '..', 'ts-hook.js');
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** Forks a bench script with the plain TypeScript hook; resolves with the child and its first message. */
function forkScript<T>(
  script: string,
  env: Record<string, string>,
  execArgv: string[] = [],
  timeoutMs = 60_000,
): Promise<{ child: ChildProcess; first: T }> {
  const child = fork(join(__dirname, '..', script), [], {
    execArgv: ['-r', HOOK, ...execArgv],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start within ${timeoutMs} ms`)), timeoutMs);
    child.once('message', (first: T) => {
      clearTimeout(timer);
      resolve({ child, first });
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${code ?? signal})`));
    });
  });
}

/** SIGKILL by PID; resolves once the process is gone. */
async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}

function ratioSpread(values: number[]): RatioSpread {
  return { ...spread(values), p25: percentile(values, 25), p75: percentile(values, 75) };
}

/** Folds the rounds of each pair into its ratios and verdicts. */
export function summarizeOverhead(raw: OverheadRound[], pairs: PairName[]): OverheadPair[] {
  return pairs.map((pair) => {
    const rows = raw.filter((r) => r.pair === pair);
    const p50Ratio = ratioSpread(rows.map((r) => r.p50ByNameMs / r.p50FixedMs));
    const throughputRatio = ratioSpread(rows.map((r) => r.throughputByName / r.throughputFixed));
    return {
      pair,
      label: PAIR_LABELS[pair],
      p50Ratio,
      throughputRatio,
      p50ByNameMs: percentile(
        rows.map((r) => r.p50ByNameMs),
        50,
      ),
      p50FixedMs: percentile(
        rows.map((r) => r.p50FixedMs),
        50,
      ),
      throughputByName: percentile(
        rows.map((r) => r.throughputByName),
        50,
      ),
      throughputFixed: percentile(
        rows.map((r) => r.throughputFixed),
        50,
      ),
      p50Met: p50Ratio.median <= TARGET_OVERHEAD_P50,
      throughputMet: throughputRatio.median >= TARGET_OVERHEAD_THROUGHPUT,
    };
  });
}

const r3 = (x: number) => x.toFixed(3);
const spreadText = (s: RatioSpread) => `x${r3(s.median)} (IQR ${r3(s.p25)}–${r3(s.p75)}, min–max ${r3(s.min)}–${r3(s.max)})`;

/**
 * Figure 9: per-call overhead of each client wing by service name against the fixed-address
 * client of the same instance. One server process (a Nest HTTP + TCP app and a grpc-js Greeter,
 * registered in a fresh etcd as one instance of `user-service`), one client process holding both
 * sides of every pair (bench/overhead-client.ts), many short rounds with the pairs and the sides
 * in a seeded random order. Reported: the median over rounds of the per-round ratio (by name /
 * fixed) of the p50 of sequential calls and of the throughput at a fixed concurrency, with its
 * interquartile range and min–max. With `--profile`, the client process writes a CPU profile to
 * bench/results/profiles/.
 */
export async function measureOverhead(ctx: BenchContext): Promise<OverheadResult> {
  const pairs: PairName[] = ['http', 'tcp', 'grpc'];
  // Throughput halves of 1,000 calls or more: with 200, one scheduling hiccup of the shared machine
  // moved a round's throughput ratio by 30 %, and gRPC's (none of our code per call) read 0.71-1.02x.
  const sizes = ctx.small
    ? { rounds: 21, sequentialCalls: 200, throughputCalls: 2000, throughputBlocks: 5, warmupCalls: 500 }
    : { rounds: 31, sequentialCalls: 400, throughputCalls: 4000, throughputBlocks: 10, warmupCalls: 1000 };
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
      const job: OverheadJob = { endpoints: etcd.endpoints, prefix, http, tcp, grpc, pairs, concurrency, seed: 20, ...sizes };
      const child = client;
      const raw = await new Promise<OverheadRound[]>((resolve, reject) => {
        child.on('message', (m: { event: string; rounds?: OverheadRound[]; error?: string }) => {
          if (m.event === 'done') resolve(m.rounds!);
          else if (m.event === 'failed') reject(new Error(`overhead client: ${m.error}`));
        });
        child.once('exit', (code, signal) => reject(new Error(`overhead client exited (${code ?? signal})`)));
        child.send(job);
      });
      const result = summarizeOverhead(raw, pairs);
      for (const p of result) {
        ctx.log(
          `   ${p.pair}: p50 ${spreadText(p.p50Ratio)} ${p.p50Met ? 'met' : 'MISSED'} (<= ${TARGET_OVERHEAD_P50}); ` +
            `throughput ${spreadText(p.throughputRatio)} ${p.throughputMet ? 'met' : 'MISSED'} (>= ${TARGET_OVERHEAD_THROUGHPUT}); ` +
            `p50 ${p.p50ByNameMs.toFixed(3)} vs ${p.p50FixedMs.toFixed(3)} ms, ${p.throughputByName.toFixed(0)} vs ${p.throughputFixed.toFixed(0)} calls/s`,
        );
      }
      const aa = result.find((p) => p.pair === 'grpc');
      if (aa)
        ctx.log(
          `   A/A reference: gRPC runs none of our code per call; its IQRs are the noise floor of this run: ` +
            `p50 ${r3(aa.p50Ratio.p25)}–${r3(aa.p50Ratio.p75)}, throughput ${r3(aa.throughputRatio.p25)}–${r3(aa.throughputRatio.p75)}`,
        );
      return {
        rounds: sizes.rounds,
        sequentialCalls: sizes.sequentialCalls,
        throughputCalls: sizes.throughputCalls,
        throughputBlocks: sizes.throughputBlocks,
        concurrency,
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
