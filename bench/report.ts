import { execFileSync } from 'child_process';
import { readFileSync } from 'fs';
import { cpus, totalmem } from 'os';
import { join } from 'path';
import { findEtcdBinary } from '../test/support/etcd-binary';
import { IMPL_LABELS, ImplName } from './bench-client.interface';
import { BenchSizes } from './bench-context';
import { DepartureResult } from './figures/departure';
import { FanoutResult } from './figures/fanout';
import { GrowthPoint } from './figures/growth';
import { LeasePoint } from './figures/lease';
import { LoadResult } from './figures/load';
import { TARGET_OVERHEAD_P50, TARGET_OVERHEAD_THROUGHPUT, type OverheadResult, type RatioInterval } from './figures/overhead';
import { PickersResult } from './figures/pickers';
import { PathPair } from './figures/path';
import { PropagationResult } from './figures/propagation';
import { ScaleResult } from './figures/scale';
import type { CliResult } from './figures/cli';
import type { StartupResult } from './figures/startup';
import { cliSection } from './cli-report';
import type { LivePageResult } from './figures/live-page';
import { livePageSection } from './live-page-report';
import { startupSection } from './startup-report';
import { fmt, fmtRatio, fmtSpread, percentile, ratio, verdictText } from './stats';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGb: number;
  node: string;
  etcd: string;
  etcd3: string;
}

export interface BenchResults {
  small: boolean;
  sizes: BenchSizes;
  impls: ImplName[];
  machine: Machine;
  startedAt: string;
  durationS: number;
  propagation?: PropagationResult[];
  path?: PathPair[];
  departure?: DepartureResult[];
  scale?: ScaleResult[];
  fanout?: FanoutResult[];
  load?: LoadResult[];
  growth?: GrowthPoint[];
  lease?: LeasePoint[];
  pickers?: PickersResult;
  overhead?: OverheadResult;
  startup?: StartupResult;
  cli?: CliResult;
  livePage?: LivePageResult;
}

export async function describeMachine(): Promise<Machine> {
  let etcd = 'unknown';
  try {
    etcd = /etcd Version: (\S+)/.exec(execFileSync(findEtcdBinary(), ['--version']).toString())?.[1] ?? etcd;
  } catch {
    /* keep unknown */
  }
  const etcd3 = JSON.parse(readFileSync(join(__dirname, '..', 'node_modules', 'etcd3', 'package.json'), 'utf8')).version as string;
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGb: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    etcd,
    etcd3,
  };
}

const TARGET_P50 = 1.05;
const TARGET_P99 = 1.25;
const TARGET_GO = 1.5;
/** Memory figures smaller than this are within RSS's noise here: left out, and said so. */
const RSS_NOISE_MB = 3;
/** One change at the largest map may cost at most this many times what it costs at the smallest. */
const TARGET_FLAT = 2;
const TARGET_MEMORY = 1.5;

function by<T extends { impl: ImplName }>(rows: T[] | undefined, impl: ImplName): T | undefined {
  return rows?.find((r) => r.impl === impl);
}

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function verdict(ok: boolean): string {
  return ok ? '**met**' : '**missed**';
}

function propagationSection(r: BenchResults): string {
  const rows = r.propagation!;
  const raw = by(rows, 'raw');
  const body = table(
    [
      'design',
      'changes',
      'p50 ms',
      'p99 ms',
      'p50 vs raw',
      'p99 vs raw',
      'per-round p50 ms: median (min–max)',
      'register() resolves, p50 ms',
      'unregister p50 / p99 ms',
    ],
    rows.map((x) => [
      IMPL_LABELS[x.impl],
      String(x.registerMs.length),
      fmt(x.registerP50),
      fmt(x.registerP99),
      fmtRatio(ratio(x.registerP50, raw?.registerP50 ?? NaN)),
      fmtRatio(ratio(x.registerP99, raw?.registerP99 ?? NaN)),
      fmtSpread(x.roundP50),
      x.registerCallMs ? fmt(percentile(x.registerCallMs, 50)) : 'n/a',
      `${fmt(x.unregisterP50)} / ${fmt(x.unregisterP99)}`,
    ]),
  );
  const ours = by(rows, 'ours');
  const go = by(rows, 'go');
  const guarded = by(rows, 'rawtxn');
  const check = (label: string, value: number, limit: number) => `${label} ${fmtRatio(value)} (<= ${limit}x) ${verdict(value <= limit)}`;
  const target =
    ours && raw
      ? `Targets, ours against raw etcd3 in this run: propagation ${check('p50', ours.registerP50 / raw.registerP50, TARGET_P50)}, ` +
        `${check('p99', ours.registerP99 / raw.registerP99, TARGET_P99)}; departure (unregister) ${check('p50', ours.unregisterP50 / raw.unregisterP50, TARGET_P50)}, ` +
        `${check('p99', ours.unregisterP99 / raw.unregisterP99, TARGET_P99)}.` +
        (go
          ? ` Against the Go clientv3 floor: ours p50 ${fmtRatio(ours.registerP50 / go.registerP50)} (aim <= ${TARGET_GO}x), raw etcd3 ${fmtRatio(raw.registerP50 / go.registerP50)}.`
          : ' The Go floor was not measured (no Go toolchain).')
      : '';
  const guardedGap =
    ours && guarded
      ? `Ours against the guarded floor (the same transactions, nothing else): propagation p50 ${fmtRatio(ours.registerP50 / guarded.registerP50)}, ` +
        `p99 ${fmtRatio(ours.registerP99 / guarded.registerP99)}; departure (unregister) p50 ${fmtRatio(ours.unregisterP50 / guarded.unregisterP50)}, ` +
        `p99 ${fmtRatio(ours.unregisterP99 / guarded.unregisterP99)}.`
      : '';
  const h2 = by(rows, 'h2');
  const nodeFloor =
    h2 && go
      ? `Node's own floor (\`bench/raw-h2.ts\`: the raw floor's work on Node's http2 module, gRPC framing and codecs by hand) against the Go clientv3 floor: ` +
        `propagation p50 ${fmtRatio(h2.registerP50 / go.registerP50)}, p99 ${fmtRatio(h2.registerP99 / go.registerP99)}; ` +
        `departure p50 ${fmtRatio(h2.unregisterP50 / go.unregisterP50)}, p99 ${fmtRatio(h2.unregisterP99 / go.unregisterP99)}.`
      : '';
  const targets = [target, guardedGap, nodeFloor].filter(Boolean).join(' ');
  return `## 1. Propagation\n\n\`register()\` in one process until a watcher in another process holds the new map (timestamps from the shared monotonic clock), then \`unregister()\` until it is gone. Each design has a registrar and a watcher process of its own, idle while the others take their turn, as an application runs one design (until commit 6abfede the Node designs shared one registrar and one watcher process, which kept them warm and made one design's figure depend on the others beside it). ${r.sizes.rounds} round(s) of ${r.sizes.propagationChangesPerRound} changes per design, the designs interleaved change by change, in a shuffled order each time. The guarded floor is \`bench/raw-txn.ts\` (raw etcd3 writing with our two transactions). The Go clientv3 floor is \`bench/go/floor\` (a Go writer and a Go watcher process doing what raw etcd3 does); the Go seed design is \`bench/go/seed\` (the same two processes doing what the seed does).\n\n${body}\n\n${targets}\n\n![Propagation latency, cumulative distribution](bench/results/plots/propagation.svg)\n${r.path?.length ? pathSection(r) : ''}`;
}

function pathSection(r: BenchResults): string {
  const rows = r.path!;
  const label = (x: string) => (x === 'go' ? 'Go clientv3' : IMPL_LABELS[x as ImplName]);
  const floor = rows.find((x) => x.writer === 'go' && x.watcher === 'go');
  const body = table(
    ['writer', 'watcher', 'p50 ms', 'p99 ms', 'p50 above the Go floor, ms', "writer's call p50 ms"],
    rows.map((x) => [label(x.writer), label(x.watcher), fmt(x.p50), fmt(x.p99), floor ? fmt(x.p50 - floor.p50) : 'n/a', fmt(x.callP50)]),
  );
  return `\n### 1b. Where the time of one change goes\n\nThe same put-to-watcher measurement with each side swapped for the Go floor, pairs interleaved: Go writer -> Go watcher is the floor; Go writer -> a Node watcher adds that watcher's receive path (grpc-js, protobufjs, etcd3 and the design's own delivery); a Node writer -> Go watcher adds that writer's send path (the design's own work, etcd3, protobufjs, grpc-js).\n\n${body}\n`;
}

function departureSection(r: BenchResults): string {
  const rows = r.departure!;
  const raw = by(rows, 'raw');
  const body = table(
    ['design', 'graceful close → dropped, ms', 'vs raw', 'SIGKILL → dropped, ms', 'vs raw', 'TTL s'],
    rows.map((x) => [
      IMPL_LABELS[x.impl],
      fmtSpread(x.gracefulMs),
      fmtRatio(ratio(x.gracefulMs.median, raw?.gracefulMs.median ?? NaN)),
      fmtSpread(x.killMs, 0),
      fmtRatio(ratio(x.killMs.median, raw?.killMs.median ?? NaN)),
      String(x.ttlSeconds),
    ]),
  );
  return `## 2. Departure\n\nGraceful: \`close()\` of the registry until the watcher (another process) drops the key. SIGKILL: the registrar process is killed by PID until the watcher drops the key; every design is killed at the same instant, so this is etcd's lease expiry (TTL plus its 500 ms expiry tick). ${r.sizes.departureRounds} round(s); median (min–max).\n\n${body}\n`;
}

function scaleSection(r: BenchResults): string {
  const rows = r.scale!;
  const raw = by(rows, 'raw');
  const body = table(
    [
      'design',
      'map exact after, ms',
      'vs raw',
      'all writes done, ms',
      'watcher CPU ms',
      'vs raw',
      'watcher peak RSS MB (+growth)',
      'handler calls',
    ],
    rows.map((x) => [
      IMPL_LABELS[x.impl] + (x.error ? ` (${x.error})` : ''),
      fmt(x.exactMs, 0),
      fmtRatio(ratio(x.exactMs, raw?.exactMs ?? NaN)),
      fmt(x.writesMs, 0),
      fmt(x.watcherCpuMs, 0),
      fmtRatio(ratio(x.watcherCpuMs, raw?.watcherCpuMs ?? NaN)),
      `${fmt(x.watcherPeakRssMb, 0)} (+${fmt(x.watcherRssGrowthMb, 0)})`,
      fmt(x.handlerCalls, 0),
    ]),
  );
  const n = rows[0] ?? { instances: NaN, registries: NaN };
  let out =
    rows.length === 0
      ? '## 3. Scale\n'
      : `## 3. Scale\n\n${fmt(n.instances, 0)} instances under one prefix registered in one burst by ${n.registries} registries at once (each its own etcd client, registering its instances one after another) in ${r.sizes.scaleAgents} child processes, each design on a fresh etcd; a fresh watcher process watches the prefix. One run per design.\n\n${body}\n`;

  if (r.fanout) {
    const f = r.fanout;
    out +=
      `\n### Many handlers on one prefix\n\n${f[0].handlers} handlers on one prefix (${fmt(f[0].keys, 0)} keys) in one process, against the same process with one handler; ${r.sizes.fanoutChanges} changes, one at a time. etcd watchers counted by \`etcd_debugging_mvcc_watcher_total\`, streams by \`grpc_server_started_total{grpc_method="Watch"}\`.\n\n` +
      table(
        [
          'design',
          'etcd watchers',
          'Watch streams started',
          'latency 1 / all handlers, ms',
          'CPU per change, 1 handler, ms',
          `CPU per change, ${f[0].handlers} handlers, ms`,
          'CPU per extra handler, µs',
        ],
        f.map((x) => [
          IMPL_LABELS[x.impl],
          String(x.etcdWatchers),
          String(x.watchStreamsStarted),
          `${fmt(x.latencyOneMs)} / ${fmt(x.latencyAllMs)}`,
          fmt(x.cpuPerChangeOneMs, 3),
          fmt(x.cpuPerChangeAllMs, 3),
          fmt(x.cpuPerHandlerUs, 1),
        ]),
      ) +
      '\n';
  }
  return out;
}

function loadSection(r: BenchResults): string {
  const rows = r.load!;
  const methods = [...new Set(rows.flatMap((x) => Object.keys(x.requestsPerSecond)))].sort();
  const raw = by(rows, 'raw');
  const seed = by(rows, 'seed');
  const body = table(
    ['design', 'requests/s', 'vs raw', 'vs seed', ...methods.map((m) => `${m}/s`), 'etcd CPU %', 'clients CPU %', 'leases'],
    rows.map((x) => [
      IMPL_LABELS[x.impl] + antiEntropyLabel(x) + (x.error ? ` (${x.error})` : ''),
      fmt(x.totalRequestsPerSecond, 1),
      fmtRatio(ratio(x.totalRequestsPerSecond, raw?.totalRequestsPerSecond ?? NaN)),
      fmtRatio(ratio(x.totalRequestsPerSecond, seed?.totalRequestsPerSecond ?? NaN)),
      ...methods.map((m) => fmt(x.requestsPerSecond[m] ?? 0, 1)),
      fmt(x.etcdCpu * 100, 1),
      fmt(x.clientCpu * 100, 1),
      String(x.leasesHeld),
    ]),
  );
  const x = rows[0];
  return `## 4. Load on etcd at rest\n\n${fmt(x.keys, 0)} keys in ${x.registries} registries and ${x.watchers} watchers of the prefix, measured over ${fmt(x.seconds, 0)} s once everything is registered and every watcher holds the full map. Requests are etcd's \`grpc_server_msg_received_total\` by method (a unary call is one message; on streams every keep-alive and watch request counts), the same counter family as \`grpc_server_handled_total\` but including stream traffic. Each design on its own fresh etcd, at the same time.\n\n${body}\n\n${antiEntropyLoad(rows)}`;
}

function antiEntropyLabel(x: LoadResult): string {
  if (x.impl !== 'ours') return '';
  if (x.antiEntropyIntervalMs === undefined) return ', anti-entropy default (5 min)';
  return x.antiEntropyIntervalMs === 0 ? ', anti-entropy off' : `, anti-entropy every ${fmt(x.antiEntropyIntervalMs / 1000, 0)} s`;
}

/** Our anti-entropy's own load at rest: Range requests per second per watcher above the run without it. */
export function antiEntropyLoad(rows: LoadResult[]): string {
  const ours = rows.filter((x) => x.impl === 'ours');
  const off = ours.find((x) => x.antiEntropyIntervalMs === 0);
  if (!off) return '';
  const range = (x: LoadResult) => x.requestsPerSecond.Range ?? 0;
  const lines = ours
    .filter((x) => x !== off)
    .map((x) => {
      const perWatcher = (range(x) - range(off)) / x.watchers;
      const interval = x.antiEntropyIntervalMs ?? 300_000;
      return `- ${antiEntropyLabel(x).slice(2)}: ${fmt(perWatcher, 4)} requests/s per watcher measured (expected ${fmt(1000 / interval, 4)}: one range request per check), total ${fmt(x.totalRequestsPerSecond, 1)} requests/s against ${fmt(off.totalRequestsPerSecond, 1)} with it off.`;
    });
  return `Anti-entropy at rest (ours; Range requests/s above the run with it off, per watcher):\n\n${lines.join('\n')}\n`;
}

/** Figure 7: our registry's lease keeper at scale (the other designs neither batch nor restore). */
export function leaseSection(rows: LeasePoint[]): string {
  const body = table(
    [
      'timeoutMs',
      'keys',
      'concurrent register(): rejected',
      'all resolved, ms',
      'etcd watchers held',
      'restore after lease revoke: all back, ms',
    ],
    rows.map((x) => [
      fmt(x.timeoutMs, 0),
      fmt(x.keys, 0),
      fmt(x.concurrentRejected, 0),
      fmt(x.concurrentMs, 0),
      fmt(x.watchers, 0),
      Number.isFinite(x.restoreMs) ? fmt(x.restoreMs, 0) : `not within 60 s (${fmt(x.restoredKeys, 0)} of ${fmt(x.registeredKeys, 0)})`,
    ]),
  );
  return `## 7. Lease keeper at scale\n\nOur registry only, one fresh etcd per row: that many \`register()\` calls started at once on one registry (healthy etcd), the etcd watchers it then holds (\`etcd_debugging_mvcc_watcher_total\`, no watch of its own), then its lease revoked from outside and the time until every registered key is back under a new lease.\n\n${body}\n`;
}

function growthSections(r: BenchResults): string {
  const rows = r.growth!;
  const sizes = [...new Set(rows.map((x) => x.keys))];
  const raw = (n: number) => rows.find((x) => x.impl === 'raw' && x.keys === n);
  const body = table(
    [
      'design',
      'keys',
      'one change: latency ms',
      'one change: watcher CPU ms',
      'vs raw',
      `burst of ${r.sizes.growthBurst}: handler calls`,
      'burst: CPU ms per change',
      'vs raw',
      'burst until exact, ms',
    ],
    rows.map((x) => [
      IMPL_LABELS[x.impl],
      fmt(x.keys, 0),
      fmt(x.sequentialLatencyMs),
      fmt(x.sequentialCpuPerChangeMs, 3),
      fmtRatio(ratio(x.sequentialCpuPerChangeMs, raw(x.keys)?.sequentialCpuPerChangeMs ?? NaN)),
      fmt(x.burstHandlerCalls, 0),
      fmt(x.burstCpuPerChangeMs, 3),
      fmtRatio(ratio(x.burstCpuPerChangeMs, raw(x.keys)?.burstCpuPerChangeMs ?? NaN)),
      fmt(x.burstMs, 0),
    ]),
  );
  const lo = Math.min(...sizes);
  const hi = Math.max(...sizes);
  const at = (impl: ImplName, n: number) => rows.find((x) => x.impl === impl && x.keys === n);
  const ours = (n: number) => at('ours', n);
  const flat =
    ours(lo) && ours(hi)
      ? `Target: one change at ${fmt(hi, 0)} keys costs at most ${TARGET_FLAT}x what it costs at ${fmt(lo, 0)} keys. Ours: latency ` +
        `${fmtRatio(ours(hi)!.sequentialLatencyMs / ours(lo)!.sequentialLatencyMs)} ${verdict(ours(hi)!.sequentialLatencyMs / ours(lo)!.sequentialLatencyMs <= TARGET_FLAT)}, ` +
        `watcher CPU ${fmtRatio(ours(hi)!.sequentialCpuPerChangeMs / ours(lo)!.sequentialCpuPerChangeMs)} ${verdict(ours(hi)!.sequentialCpuPerChangeMs / ours(lo)!.sequentialCpuPerChangeMs <= TARGET_FLAT)} ` +
        `(raw etcd3: ${fmtRatio((at('raw', hi)?.sequentialCpuPerChangeMs ?? NaN) / (at('raw', lo)?.sequentialCpuPerChangeMs ?? NaN))} in CPU).`
      : '';
  const rss = (impl: ImplName, n: number) => at(impl, n)?.watchRssMb ?? NaN;
  const measurable = (mb: number) => Number.isFinite(mb) && mb >= RSS_NOISE_MB;
  const per10k = (impl: ImplName) => (measurable(rss(impl, hi)) ? (rss(impl, hi) / hi) * 10_000 : NaN);
  const mem = table(
    [
      'design',
      ...sizes.map((n) => `RSS MB at ${fmt(n, 0)} keys`),
      `MB per 10,000 instances (at ${fmt(hi, 0)} keys)`,
      'vs raw',
      'heap MB after GC, at largest',
    ],
    r.impls.map((impl) => [
      IMPL_LABELS[impl],
      ...sizes.map((n) => (measurable(rss(impl, n)) ? fmt(rss(impl, n), 1) : `not measurable (${fmt(rss(impl, n), 1)})`)),
      fmt(per10k(impl), 2),
      fmtRatio(ratio(per10k(impl), per10k('raw'))),
      fmt(at(impl, hi)?.watchHeapMb ?? NaN, 1),
    ]),
  );
  const memRatio = ratio(per10k('ours'), per10k('raw'));
  const memTarget = Number.isFinite(memRatio)
    ? `Target: at most ${TARGET_MEMORY}x raw etcd3 per 10,000 instances: ${fmtRatio(memRatio)} ${verdict(memRatio <= TARGET_MEMORY)}.`
    : `No figure of this run is above RSS's noise (${RSS_NOISE_MB} MB): the memory target is not checked by it.`;
  return (
    `## 5. Cost of one change as the map grows\n\nA fresh watcher process per design and size; ${r.sizes.growthChanges} puts one at a time (each waited for), then a burst of ${r.sizes.growthBurst} puts sent at once. Watcher CPU is the process's user + system time over the changes, divided by the number of changes. The handler keeps the map it was given and checks one key (the harness tracks the map's size from the change set where the design gives one).\n\n${body}\n\n${flat}\n\n![Watcher CPU per change vs keys](bench/results/plots/growth-cpu.svg) ![Latency of one change vs keys](bench/results/plots/growth-latency.svg)\n\n` +
    `## 6. Memory per 10,000 watched instances\n\nRSS of the watcher process once the map is complete, after GC (\`--expose-gc\`) and once RSS has settled (it moved by less than 0.25 MB over 300 ms), minus the same process before it watched: what the watch costs the host, including what the first read's decoding left the heap grown by. Figures under ${RSS_NOISE_MB} MB are within RSS's noise on this machine and left out (the raw value is shown in brackets). Per 10,000 instances from the largest map${(r.sizes.memorySamples ?? 1) > 1 ? `, where each figure is the median over ${r.sizes.memorySamples} fresh watcher processes per design, the designs interleaved (one process's RSS after the first read's transient peak varies: the samples are in \`bench/results/latest.json\`, \`watchRssSamplesMb\`)` : ''}. Heap after GC is shown for reference.\n\n${mem}\n\n${memTarget}\n`
  );
}

/** Target of the pickers figure: more than a million picks per second per picker. */
const TARGET_PICKS_PER_SECOND = 1e6;

export function pickersSection(p: PickersResult): string {
  const body = table(
    ['picker', 'instances', 'picks', 'M picks/s', 'ns per pick', '> 1 M/s'],
    p.speeds.map((s) => [
      s.picker,
      fmt(s.instances, 0),
      fmt(s.picks, 0),
      fmt(s.picksPerSecond / 1e6),
      fmt(s.nsPerPick, 0),
      verdict(s.picksPerSecond > TARGET_PICKS_PER_SECOND),
    ]),
  );
  const shares = table(
    ['weight', 'expected share', 'observed share'],
    p.weighted.shares.map((s) => [String(s.weight), `${(s.expected * 100).toFixed(2)} %`, `${(s.observed * 100).toFixed(3)} %`]),
  );
  return (
    `## 8. Picking an instance

\`LoadBalancer.pick(service)\` over the live instances it holds from the watch (no etcd call per pick), one process, one pick after another (\`lib/core/balancing\`). Target: more than a million picks per second for every picker.\n\n${body}\n\n` +
    `Weighted picker over 4 instances of weights 1:2:3:4, ${fmt(p.weighted.picks, 0)} picks (Math.random): chi-square ${p.weighted.chiSquare.toFixed(2)} with 3 degrees of freedom (below 16.27 is within p = 0.001).\n\n${shares}\n`
  );
}

function intervalCell(s: RatioInterval): string {
  if (s.n === 0) return 'n/a';
  return `${s.median.toFixed(3)}x [${s.low.toFixed(3)}, ${s.high.toFixed(3)}]`;
}

/** Figure 9: each client wing by name against the fixed-address client of the same instance, beside the A/A control. */
export function overheadSection(o: OverheadResult): string {
  const coverage = o.pairs[0] ? `${(o.pairs[0].p50Ratio.coverage * 100).toFixed(1)} %` : '95 %';
  const body = table(
    [
      'pair',
      'p50 by name / fixed / twin, ms',
      `p50 ratio by name: median [${coverage} interval]`,
      `A/A (twin / fixed)`,
      `<= ${TARGET_OVERHEAD_P50}x`,
      `calls/s by name / fixed / twin (${o.concurrency} in flight)`,
      'throughput ratio by name: median [interval]',
      'A/A (twin / fixed)',
      `>= ${TARGET_OVERHEAD_THROUGHPUT}x`,
    ],
    o.pairs.map((p) => [
      p.label,
      `${fmt(p.p50Ms.byName, 3)} / ${fmt(p.p50Ms.fixed, 3)} / ${fmt(p.p50Ms.twin, 3)}`,
      intervalCell(p.p50Ratio),
      intervalCell(p.p50RatioAA),
      verdictText(p.p50Verdict),
      `${fmt(p.throughput.byName, 0)} / ${fmt(p.throughput.fixed, 0)} / ${fmt(p.throughput.twin, 0)}`,
      intervalCell(p.throughputRatio),
      intervalCell(p.throughputRatioAA),
      verdictText(p.throughputVerdict),
    ]),
  );
  const load = o.loadAverage
    ? ` Load average (1, 5, 15 min) ${o.loadAverage.start.map((x) => x.toFixed(2)).join(', ')} as the rounds began, ${o.loadAverage.end.map((x) => x.toFixed(2)).join(', ')} as they ended.`
    : '';
  const seq = o.sequentialCalls / o.sequentialBlocks;
  const b = o.throughputBlocks;
  return `## 9. Per-call overhead of the client wings

Each wing's client by service name against the plain client of the same instance's fixed address, and a second plain client of that address built the same way (the **twin**, the A/A control), the three in one client process (\`bench/overhead-client.ts\`), calling one server process (\`bench/overhead-server.ts\`: a Nest HTTP app with a TCP microservice and a grpc-js Greeter, registered in a fresh etcd as one instance with \`http://\`, \`tcp://\` and \`grpc://\` endpoints), all warmed up first. ${o.rounds} rounds; in each, the pairs in a seeded random order, and per pair the three sides in short interleaved blocks whose order walks through the six permutations: ${o.sequentialBlocks} blocks of ${seq} sequential calls per side (p50 over the side's ${o.sequentialCalls} calls), then blocks of ${o.throughputBlockCalls} calls with ${o.concurrency} in flight per side (${b.http} blocks per round for HTTP, ${b.tcp} for TCP, ${b.grpc} for gRPC). A block lasts 5-50 ms, shorter than the drifts of the shared machine's load, which fall on the three sides alike. Per round and side, two ratios to the fixed client: of the p50 of the round's sequential calls, and of throughput as the median over the round's blocks of the block's ratio (the fixed client's seconds for the block's calls / the side's, run next to each other), so that a pause of the shared machine moves one block's ratio, not the round's. Shown: the median of the ${o.rounds} per-round ratios with its distribution-free interval from order statistics (the ${rankText(o)} smallest to the ${rankText(o)} largest ratio: ${coverage} coverage), for the client by name and for the twin: the twin's interval is the noise floor of the run, for that transport. Absolute figures: medians over rounds of each side's own. Verdicts from the interval of the client by name: **met** when all of it is on the target's side (p50 ratio <= ${TARGET_OVERHEAD_P50}, throughput ratio >= ${TARGET_OVERHEAD_THROUGHPUT}), **missed** when all of it is on the other side, else not shown either way at this noise.${load}

${body}
`;
}

/** Which order statistics bound the interval ("6th"). */
function rankText(o: OverheadResult): string {
  const p = o.pairs[0]?.p50Ratio;
  if (!p) return 'n/a';
  const k = p.rank;
  const suffix = k % 10 === 1 && k !== 11 ? 'st' : k % 10 === 2 && k !== 12 ? 'nd' : k % 10 === 3 && k !== 13 ? 'rd' : 'th';
  return `${k}${suffix}`;
}

export function renderMarkdown(r: BenchResults): string {
  const m = r.machine;
  const parts = [
    `# Benchmarks\n\nGenerated by \`npm run bench${r.small ? ' -- --small' : ''}\` on ${r.startedAt.slice(0, 10)} in ${fmt(r.durationS, 0)} s. Three designs measured side by side in the same run, each figure against its baselines:\n\n` +
      `- **raw etcd3 (floor)**: written by hand in \`bench/raw-etcd3.ts\`: one lease, a Get and a watch applied to a Map, nothing else.\n` +
      `- **raw etcd3, guarded (Txn)**: \`bench/raw-txn.ts\` (figure 1 only), the raw floor writing with our two guarded transactions (create only if absent; delete only if under our lease) and nothing else: raw to it is the transactions' cost, it to ours is our code's.\n` +
      (r.propagation?.some((x) => x.impl === 'h2')
        ? `- **raw Node http2 (floor)**: \`bench/raw-h2.ts\` (figure 1 only, when \`--impls=\` names \`h2\`), the raw floor's requests on Node's own http2 module with gRPC framing and etcd's messages encoded by hand: no @grpc/grpc-js, etcd3 or protobufjs. What any Node client pays at least.\n`
        : '') +
      `- **seed design**: the Go seed's design in \`bench/seed-design.ts\`: one lease per key, a full Get of the prefix every 5 s, the whole map rebuilt and handed over on every event.\n` +
      `- **ours**: \`createRegistry\` from \`lib/core\`, default options (TTL 5 s unless stated).\n` +
      `- **Go clientv3 (floor)**: \`bench/go/floor\`, the raw etcd3 floor's work written in Go on etcd's own client (figure 1), built offline from Debian's \`golang-go\` and \`golang-etcd-server-dev\`.\n` +
      `- **Go seed design (anchor)**: \`bench/go/seed\` (figure 1 only), the seed's design written again in Go on the same clientv3 and built the same way (the seed's own source is not at hand; its README's API and mechanics): one lease per key (Grant, Put, KeepAlive; unregister is Delete then Revoke), a Get then a Watch from the next revision, a fresh copy of the whole map handed over on every event, a full Get every 5 s. What the Go library we port would do, beside the Go floor.\n\n` +
      `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB; Node ${m.node}; etcd ${m.etcd} (single node, loopback, data dir in the OS temp dir, \`--heartbeat-interval 20 --election-timeout 200\`); etcd3 ${m.etcd3}. Absolute times on a 2-core VM carry noise; designs are interleaved or run side by side so the ratios are fair.\n\n` +
      `Reproduce: \`npm run bench\` (full, a few minutes; rewrites this file and \`bench/results/latest.json\`), or \`npm run bench -- --small\` (CI size, about a minute; prints the table and writes \`bench/results/small.json\`). \`--only=propagation,path,departure,scale,fanout,load,growth,lease,pickers,overhead,startup,cli,livepage\` runs a subset, \`--impls=raw,ours\` a subset of the designs (\`rawtxn\` is the guarded floor), \`--growth=1000,100000\` other map sizes, \`--no-go\` leaves the Go floor and the Go seed design out; \`--profile\` writes CPU profiles of our watcher (and of the overhead figure's client process) to \`bench/results/profiles/\`. Plots (SVG, drawn by the benchmark itself) are in \`bench/results/plots/\`.\n`,
  ];
  if (r.propagation) parts.push(propagationSection(r));
  if (r.departure) parts.push(departureSection(r));
  if (r.scale) parts.push(scaleSection(r));
  else if (r.fanout) parts.push(scaleSection({ ...r, scale: [] }));
  if (r.load) parts.push(loadSection(r));
  if (r.growth) parts.push(growthSections(r));
  if (r.lease?.length) parts.push(leaseSection(r.lease));
  if (r.pickers) parts.push(pickersSection(r.pickers));
  if (r.overhead?.pairs.length) parts.push(overheadSection(r.overhead));
  if (r.startup) parts.push(startupSection(r.startup));
  if (r.cli) parts.push(cliSection(r.cli));
  if (r.livePage) parts.push(livePageSection(r.livePage));
  parts.push('## Analysis\n\n<!-- notes:start -->\n(Written by hand after the run.)\n<!-- notes:end -->\n');
  return parts.join('\n');
}
