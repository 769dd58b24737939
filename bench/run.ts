/**
 * `npm run bench` (full run, writes BENCHMARKS.md and bench/results/latest.json) and
 * `npm run bench -- --small` (CI size: writes bench/results/small.json and prints the table only).
 * Options: `--only=propagation,path,departure,scale,fanout,load,growth,lease,pickers,overhead,startup,cli,livepage` runs a subset (no BENCHMARKS.md),
 * `--profile` writes CPU profiles of our watcher (and of the overhead figure's client) to bench/results/profiles/, `--growth=1000,100000` sets the
 * map sizes of the growth figure, `--impls=raw,ours` a subset of the designs (`rawtxn`, the guarded floor, is
 * measured in propagation only; so is `h2`, the Node http2 floor, which only runs when `--impls=` names it).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { ImplName } from './bench-client.interface';
import { BenchContext, FULL_SIZES, SMALL_SIZES } from './bench-context';
import { measureCli } from './figures/cli';
import { measureDeparture } from './figures/departure';
import { measureFanout } from './figures/fanout';
import { measureGrowth } from './figures/growth';
import { measureLease } from './figures/lease';
import { measureLivePage } from './figures/live-page';
import { measureLoad } from './figures/load';
import { measurePickers } from './figures/pickers';
import { measureOverhead } from './figures/overhead';
import { measurePath } from './figures/path';
import { measurePropagation } from './figures/propagation';
import { measureScale } from './figures/scale';
import { measureStartup } from './figures/startup';
import { buildBenchGo } from './go-floor';
import { loadCreateRegistry } from './ours';
import { growthLatencyPlot, growthPlot, propagationPlot } from './plots';
import { BenchResults, describeMachine, renderMarkdown } from './report';

const FIGURES = [
  'propagation',
  'path',
  'departure',
  'scale',
  'fanout',
  'load',
  'growth',
  'lease',
  'pickers',
  'overhead',
  'startup',
  'cli',
  'livepage',
] as const;
type Figure = (typeof FIGURES)[number];

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const small = args.includes('--small');
  const onlyArg = args.find((a) => a.startsWith('--only='));
  const only = onlyArg ? (onlyArg.slice('--only='.length).split(',') as Figure[]) : [...FIGURES];
  const root = join(__dirname, '..');
  const resultsDir = join(__dirname, 'results');
  mkdirSync(resultsDir, { recursive: true });
  const profileDir = args.includes('--profile') ? join(resultsDir, 'profiles') : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });

  const implsArg = args.find((a) => a.startsWith('--impls='));
  let impls: ImplName[] = ['raw', 'seed'];
  if (loadCreateRegistry()) impls.push('ours');
  else console.warn('lib/core does not export createRegistry: measuring the baselines only');
  // The guarded floor is figure 1's alone: kept out of `impls`, which every other figure iterates.
  let propagationOnly: ImplName[] = ['rawtxn'];
  if (implsArg) {
    const chosen = implsArg.slice('--impls='.length).split(',');
    impls = impls.filter((i) => chosen.includes(i));
    // The Node http2 floor (figure 1 too) only when named: the default run and its table stay as they were.
    propagationOnly = (['rawtxn', 'h2'] as ImplName[]).filter((i) => chosen.includes(i));
  }
  const growthArg = args.find((a) => a.startsWith('--growth='));
  const sizes = { ...(small ? SMALL_SIZES : FULL_SIZES) };
  if (growthArg) sizes.growthSizes = growthArg.slice('--growth='.length).split(',').map(Number);
  const ctx: BenchContext = { small, sizes, impls, propagationOnly, profileDir, log: (m) => console.log(m) };
  if ((only.includes('propagation') || only.includes('path')) && !args.includes('--no-go')) {
    const go = await buildBenchGo(ctx.log);
    ctx.goFloor = go?.floor;
    // The Go seed design is an anchor of figure 1 alone.
    if (only.includes('propagation')) ctx.goSeed = go?.seed;
  }

  const started = Date.now();
  const results: BenchResults = {
    small,
    sizes: ctx.sizes,
    impls,
    machine: await describeMachine(),
    startedAt: new Date().toISOString(),
    durationS: 0,
  };
  const step = async <T>(name: Figure, fn: () => Promise<T>): Promise<T | undefined> => {
    if (!only.includes(name)) return undefined;
    const t = Date.now();
    console.log(`== ${name}`);
    const value = await fn();
    console.log(`   (${((Date.now() - t) / 1000).toFixed(1)} s)`);
    return value;
  };
  results.propagation = await step('propagation', () => measurePropagation(ctx));
  results.path = await step('path', () => measurePath(ctx));
  results.departure = await step('departure', () => measureDeparture(ctx));
  results.scale = await step('scale', () => measureScale(ctx));
  results.fanout = await step('fanout', () => measureFanout(ctx));
  results.load = await step('load', () => measureLoad(ctx));
  results.growth = await step('growth', () => measureGrowth(ctx));
  results.lease = await step('lease', () => measureLease(ctx));
  results.pickers = await step('pickers', () => measurePickers(ctx));
  results.overhead = await step('overhead', () => measureOverhead(ctx));
  results.startup = await step('startup', () => measureStartup(ctx));
  results.cli = await step('cli', () => measureCli(ctx));
  results.livePage = await step('livepage', () => measureLivePage(ctx));
  results.durationS = (Date.now() - started) / 1000;

  const markdown = renderMarkdown(results);
  const complete = only.length === FIGURES.length && impls.length === 3;
  if (small || !complete) {
    const file = join(resultsDir, small ? 'small.json' : 'partial.json');
    writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
    console.log(`\n${markdown}\nRaw figures: ${file} (BENCHMARKS.md is only written by a full run).`);
  } else {
    writeFileSync(join(resultsDir, 'latest.json'), JSON.stringify(results, null, 2) + '\n');
    writePlots(join(resultsDir, 'plots'), results);
    const target = join(root, 'BENCHMARKS.md');
    const previous = (() => {
      try {
        return readFileSync(target, 'utf8');
      } catch {
        return '';
      }
    })();
    writeFileSync(target, mergeNotes(markdown, previous));
    console.log(`\n${markdown}\nWrote BENCHMARKS.md and bench/results/latest.json in ${results.durationS.toFixed(0)} s.`);
  }
}

function writePlots(dir: string, r: BenchResults): void {
  mkdirSync(dir, { recursive: true });
  if (r.propagation) writeFileSync(join(dir, 'propagation.svg'), propagationPlot(r.propagation));
  if (r.growth) {
    writeFileSync(join(dir, 'growth-cpu.svg'), growthPlot(r.growth));
    writeFileSync(join(dir, 'growth-latency.svg'), growthLatencyPlot(r.growth));
  }
}

/** Keeps the hand-written analysis between `<!-- notes:start -->` and `<!-- notes:end -->` across runs. */
function mergeNotes(generated: string, previous: string): string {
  const m = /<!-- notes:start -->[\s\S]*?<!-- notes:end -->/.exec(previous);
  return m ? generated.replace(/<!-- notes:start -->[\s\S]*?<!-- notes:end -->/, m[0]) : generated;
}

// A signal ends the run through process.exit, so the exit hooks stop every etcd and child by PID.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
