import { fork } from 'child_process';
import { existsSync, readdirSync, statSync } from 'fs';
import { join } from 'path';
import { BenchContext, withEtcd } from '../bench-context';
import { median, seededRandom, shuffled } from '../stats';

/** One start of bench/startup-app.js, in milliseconds. */
export interface AppStart {
  mode: 'plain' | 'module';
  round: number;
  steps: {
    requireNest: number;
    requirePackage?: number;
    create: number;
    listen: number;
    sinceProcessStart: number;
    /** RegistryStartup.onModuleInit: the start-up check, the client's first connect and one read. */
    startupCheck?: number;
    /** RegistryService.registerService inside listen(): lease grant and the guarded put. */
    registration?: number;
    /** The same read as the check once connected (median of 5). */
    warmRead?: number;
    close: number;
    /** Once listening, after a full GC, MB. */
    rssMb: number;
    heapMb: number;
  };
}

/** One require of an entry in a fresh process (bench/startup-load.js). */
export interface EntryLoad {
  kind: 'root' | 'core' | 'etcd3';
  loadMs: number;
  modules: number;
  rssMb: number;
  heapMb: number;
  baseRssMb: number;
  packages: Record<string, number>;
}

export interface StartupResult {
  rounds: number;
  starts: AppStart[];
  loads: EntryLoad[];
  /** Medians over rounds. */
  listenPlainMs: number;
  listenModuleMs: number;
  /** Median over rounds of (with - without) in the same round. */
  listenExtraMs: number;
  rssPlainMb: number;
  rssModuleMb: number;
  heapPlainMb: number;
  heapModuleMb: number;
  createPlainMs: number;
  createModuleMs: number;
  readyPlainMs: number;
  readyModuleMs: number;
  breakdown: {
    requirePackageMs: number;
    startupCheckMs: number;
    warmReadMs: number;
    registrationMs: number;
    /** Per round: the listen difference less the check and the registration (median over rounds). */
    restMs: number;
    closePlainMs: number;
    closeModuleMs: number;
  };
  entries: Record<EntryLoad['kind'], { loadMs: number; modules: number; rssMb: number; heapMb: number; packages: Record<string, number> }>;
}

const ROOT = join(__dirname, '..', '..');

/** Forks a plain JavaScript bench script (no TypeScript hook) and resolves with its one message. */
function runChild<T>(script: string, args: string[], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<T> {
  const child = fork(join(__dirname, '..', script), args, {
    execArgv: ['--expose-gc'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise<T>((resolve, reject) => {
    let message: T | undefined;
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('message', (m: T) => (message = m));
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (message !== undefined) resolve(message);
      else reject(new Error(`${script} ${args.join(' ')} exited (${code ?? signal}) without a result`));
    });
  });
}

/** The build the children load: it must exist, and a build older than lib/ measures old code. */
function checkBuild(log: (m: string) => void): void {
  const entry = join(ROOT, 'dist', 'index.js');
  if (!existsSync(entry))
    throw new Error('the start-up figure loads the built package: dist/index.js is missing, run `npm run build` first');
  const built = statSync(entry).mtimeMs;
  const newer = (dir: string): boolean =>
    readdirSync(dir, { withFileTypes: true }).some((e) =>
      e.isDirectory() ? newer(join(dir, e.name)) : e.name.endsWith('.ts') && statSync(join(dir, e.name)).mtimeMs > built,
    );
  if (newer(join(ROOT, 'lib'))) log('   warning: lib/ has changed since the last `npm run build`: this figure measures dist/ as built');
}

const med = (values: (number | undefined)[]) => median(values.filter((v): v is number => typeof v === 'number'));

/**
 * Figure 10: what an application feels. (a) `app.listen(0)` of a minimal Nest HTTP app with
 * EtcdRegistryModule.forRoot (registering its instance) against the same app without it, each
 * start a fresh process, the two interleaved in a seeded random order per round, against one
 * fresh etcd; with the extra time broken down. (b) What requiring an entry adds to a process:
 * the root entry on top of Nest's own packages, the core entry and etcd3 alone on a bare process.
 */
export async function measureStartup(ctx: BenchContext): Promise<StartupResult> {
  checkBuild(ctx.log);
  const rounds = ctx.small ? 3 : 15;
  const random = seededRandom(24);
  const starts: AppStart[] = [];
  await withEtcd(async (etcd) => {
    // One start of each outside the figures: the page cache and etcd's first lease.
    for (const mode of ['plain', 'module'] as const)
      await runChild<AppStart>('startup-app.js', [mode], { ETCD_ENDPOINTS: etcd.endpoints.join(','), SERVICE_ID: `warm-${mode}` });
    for (let round = 0; round < rounds; round++) {
      for (const mode of shuffled(['plain', 'module'] as const, random)) {
        const start = await runChild<AppStart>('startup-app.js', [mode], {
          ETCD_ENDPOINTS: etcd.endpoints.join(','),
          SERVICE_ID: `r${round}`,
        });
        starts.push({ ...start, round });
      }
    }
  });
  const loads: EntryLoad[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const kind of shuffled(['root', 'core', 'etcd3'] as const, random))
      loads.push(await runChild<EntryLoad>('startup-load.js', [kind]));
  }

  const of = (mode: AppStart['mode']) => starts.filter((s) => s.mode === mode).map((s) => s.steps);
  const plain = of('plain');
  const moduleStarts = starts.filter((s) => s.mode === 'module');
  const plainListen = (round: number) => starts.find((p) => p.mode === 'plain' && p.round === round)?.steps.listen ?? NaN;
  const module = of('module');
  const entry = (kind: EntryLoad['kind']) => {
    const rows = loads.filter((l) => l.kind === kind);
    return {
      loadMs: med(rows.map((l) => l.loadMs)),
      modules: med(rows.map((l) => l.modules)),
      rssMb: med(rows.map((l) => l.rssMb)),
      heapMb: med(rows.map((l) => l.heapMb)),
      packages: rows[0]?.packages ?? {},
    };
  };
  const result: StartupResult = {
    rounds,
    starts,
    loads,
    listenPlainMs: med(plain.map((s) => s.listen)),
    listenModuleMs: med(module.map((s) => s.listen)),
    listenExtraMs: med(moduleStarts.map((m) => m.steps.listen - plainListen(m.round))),
    rssPlainMb: med(plain.map((s) => s.rssMb)),
    rssModuleMb: med(module.map((s) => s.rssMb)),
    heapPlainMb: med(plain.map((s) => s.heapMb)),
    heapModuleMb: med(module.map((s) => s.heapMb)),
    createPlainMs: med(plain.map((s) => s.create)),
    createModuleMs: med(module.map((s) => s.create)),
    readyPlainMs: med(plain.map((s) => s.sinceProcessStart)),
    readyModuleMs: med(module.map((s) => s.sinceProcessStart)),
    breakdown: {
      requirePackageMs: med(module.map((s) => s.requirePackage)),
      startupCheckMs: med(module.map((s) => s.startupCheck)),
      warmReadMs: med(module.map((s) => s.warmRead)),
      registrationMs: med(module.map((s) => s.registration)),
      restMs: med(
        moduleStarts.map((m) => m.steps.listen - plainListen(m.round) - (m.steps.startupCheck ?? 0) - (m.steps.registration ?? 0)),
      ),
      closePlainMs: med(plain.map((s) => s.close)),
      closeModuleMs: med(module.map((s) => s.close)),
    },
    entries: { root: entry('root'), core: entry('core'), etcd3: entry('etcd3') },
  };
  const f = (x: number) => x.toFixed(1);
  const b = result.breakdown;
  ctx.log(
    `   app.listen(0): ${f(result.listenModuleMs)} ms with the module vs ${f(result.listenPlainMs)} ms without ` +
      `(x${(result.listenModuleMs / result.listenPlainMs).toFixed(2)}, +${f(result.listenExtraMs)} ms per round); ` +
      `start-up check ${f(b.startupCheckMs)} ms (a warm read ${f(b.warmReadMs)} ms), registration ${f(b.registrationMs)} ms, the rest ${f(b.restMs)} ms; ` +
      `NestFactory.create ${f(result.createModuleMs)} vs ${f(result.createPlainMs)} ms; require of the package ${f(b.requirePackageMs)} ms; ` +
      `process start to listening ${f(result.readyModuleMs)} vs ${f(result.readyPlainMs)} ms; ` +
      `listening, after GC: RSS ${f(result.rssModuleMb)} vs ${f(result.rssPlainMb)} MB, heap ${f(result.heapModuleMb)} vs ${f(result.heapPlainMb)} MB`,
  );
  for (const kind of ['root', 'core', 'etcd3'] as const) {
    const e = result.entries[kind];
    ctx.log(`   require ${kind}: ${f(e.loadMs)} ms, +${e.modules} modules, +${f(e.rssMb)} MB RSS, +${f(e.heapMb)} MB heap`);
  }
  return result;
}
