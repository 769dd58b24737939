import { ChildProcess, execFile, execFileSync, spawn } from 'child_process';
import { createHash } from 'crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { aptInstall, canInstallWithApt, lookup } from './etcd-binary';
import { waitFor } from './wait-for';

/** The Go sources of the interop programs, one directory per program. */
const SOURCES = join(__dirname, '..', 'interop', 'go');
const PROGRAMS = ['registrar', 'reader', 'greeter'] as const;
/** Where Debian's golang-etcd-server-dev puts clientv3 (GOPATH mode, offline). */
const DEBIAN_GOPATH = '/usr/share/gocode';
const CLIENTV3 = join(DEBIAN_GOPATH, 'src', 'go.etcd.io', 'etcd', 'clientv3', 'naming', 'resolver');
const INSTALL = 'apt-get install -y golang-go golang-etcd-server-dev';

export type GoProgram = (typeof PROGRAMS)[number];

function missingPart(go: string | undefined): string | undefined {
  return !go ? 'the go toolchain' : !existsSync(CLIENTV3) ? `etcd's Go client sources (${CLIENTV3})` : undefined;
}

/**
 * The Go toolchain and Debian's etcd client sources, checked when a spec file loads. Missing, they
 * are installed with apt-get where that is possible (root), as the etcd launcher does for etcd.
 * Otherwise: outside CI the interop specs are skipped with a loud message; in CI (CI=true) it is
 * an error, so the run fails.
 */
export function goToolchain(): string | undefined {
  const find = () => process.env.GO_BIN ?? lookup('go');
  let go = find();
  let missing = missingPart(go);
  if (missing && canInstallWithApt()) {
    aptInstall(['golang-go', 'golang-etcd-server-dev'], `Go interop tests need ${missing}: ${INSTALL}`);
    go = find();
    missing = missingPart(go);
  }
  if (!missing) return go;
  const message = `Go interop tests need ${missing}: ${INSTALL}`;
  if (process.env.CI === 'true') throw new Error(`${message} (CI=true: a missing toolchain fails the run)`);
  process.stderr.write(`\n*** SKIPPING the Go interop tests: ${message} ***\n\n`);
  return undefined;
}

/** A directory of Go programs, one sub-directory each (the interop tests' by default; the benchmark has its own). */
export interface GoProgramSet<P extends string = string> {
  sources: string;
  programs: readonly P[];
  /** Sub-directories of packages the programs import by relative path (`"../name"`): part of the sources' hash. */
  packages?: readonly string[];
}

const INTEROP: GoProgramSet<GoProgram> = { sources: SOURCES, programs: PROGRAMS };

function sourceHash(go: string, set: GoProgramSet): string {
  const hash = createHash('sha256').update(execFileSync(go, ['version']));
  for (const dir of [...set.programs, ...(set.packages ?? [])]) {
    for (const file of readdirSync(join(set.sources, dir)).sort()) hash.update(file).update(readFileSync(join(set.sources, dir, file)));
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * Compiles the programs once (offline, GOPATH mode, against Debian's clientv3) into a directory
 * named by a hash of the sources and the Go version, so every spec of a run (each in its own
 * worker) and later runs reuse the binaries until a source changes. Returns their paths and the
 * build time (0 when reused).
 */
export async function buildGoPrograms<P extends string = GoProgram>(
  go: string,
  set: GoProgramSet<P> = INTEROP as unknown as GoProgramSet<P>,
): Promise<{ paths: Record<P, string>; buildMs: number }> {
  const root = join(tmpdir(), 'nestjs-etcd-registry-go');
  const out = join(root, sourceHash(go, set));
  const paths = Object.fromEntries(set.programs.map((p) => [p, join(out, p)])) as Record<P, string>;
  if (set.programs.every((p) => existsSync(paths[p]))) return { paths, buildMs: 0 };
  mkdirSync(out, { recursive: true });
  const env = {
    ...process.env,
    GO111MODULE: 'off',
    GOPATH: DEBIAN_GOPATH,
    GOCACHE: join(root, 'cache'),
    GOFLAGS: '',
    GOPROXY: 'off',
  };
  const started = Date.now();
  for (const program of set.programs) {
    // Built under a temporary name, then renamed: a concurrent spec never runs a half-written binary.
    const partial = `${paths[program]}.${process.pid}.tmp`;
    await new Promise<void>((resolve, reject) =>
      execFile(go, ['build', '-o', partial, '.'], { cwd: join(set.sources, program), env, timeout: 300_000 }, (error, _out, stderr) =>
        error ? reject(new Error(`go build of ${program} failed: ${stderr || error.message}`)) : resolve(),
      ),
    );
    renameSync(partial, paths[program]);
  }
  return { paths, buildMs: Date.now() - started };
}

/** Runs a program to completion and parses the one JSON line it prints. */
export function runGo<T>(path: string, args: string[], timeoutMs = 20_000): Promise<T> {
  return new Promise((resolve, reject) =>
    execFile(path, args, { timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`${path} ${args.join(' ')} failed: ${stderr || error.message}`));
      try {
        resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '') as T);
      } catch {
        reject(new Error(`${path} printed no JSON: ${stdout} ${stderr}`));
      }
    }),
  );
}

/** A long-running Go program (the registrar): started, ready once it printed its JSON line, stopped by closing stdin. */
export class GoProcess {
  private output = '';
  private errors = '';
  readonly child: ChildProcess;

  constructor(path: string, args: string[]) {
    this.child = spawn(path, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    this.child.stderr?.on('data', (d: Buffer) => (this.errors += d.toString()));
  }

  async ready<T = { ready: boolean; key: string; lease: string }>(timeoutMs = 15_000): Promise<T> {
    const line = await waitFor(
      () => {
        if (this.child.exitCode !== null) throw new Error(`exited with ${this.child.exitCode}: ${this.errors}`);
        return this.output.split('\n').find((l) => l.startsWith('{'));
      },
      { timeoutMs, message: `the Go program to be ready (stderr: ${this.errors})` },
    );
    return JSON.parse(line) as T;
  }

  /** Closes stdin (the program revokes its lease and exits); resolves with its exit code. */
  async stop(timeoutMs = 10_000): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    const exited = new Promise<number | null>((resolve) => this.child.once('exit', (code) => resolve(code)));
    this.child.stdin?.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
