import { ChildProcess, execFileSync, spawn } from 'child_process';
import { mkdtempSync, rmSync } from 'fs';
import { join } from 'path';
import { waitFor } from './wait-for';

const ROOT = join(__dirname, '..', '..');

/**
 * The CLI as users run it: lib compiled with tsconfig.build.json (as `npm run build` does) into a
 * temporary folder inside node_modules/.cache (so the package's dependencies resolve), run with
 * `node <dir>/cli/main.js`. One build per spec file (about 3-5 s); removed by `dispose()`.
 */
export class CliBuild {
  readonly dir: string;

  constructor() {
    const cache = join(ROOT, 'node_modules', '.cache');
    execFileSync('mkdir', ['-p', cache]);
    this.dir = mkdtempSync(join(cache, 'cli-build-'));
    execFileSync(
      process.execPath,
      [
        require.resolve('typescript/bin/tsc'),
        '-p',
        join(ROOT, 'tsconfig.build.json'),
        '--outDir',
        this.dir,
        '--sourceMap',
        'false',
        '--declaration',
        'false',
      ],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
  }

  get main(): string {
    return join(this.dir, 'cli', 'main.js');
  }

  /** Runs a command to its end; resolves with its exit code and output (rejects after `timeoutMs`). */
  run(args: string[], env: Record<string, string | undefined> = {}, timeoutMs = 20_000): Promise<CliResult> {
    const started = Date.now();
    const child = this.spawn(args, env);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.child.kill('SIGKILL');
        reject(
          new Error(
            `nestjs-etcd-registry ${args.join(' ')} did not exit within ${timeoutMs} ms; stdout: ${child.stdout} stderr: ${child.stderr}`,
          ),
        );
      }, timeoutMs);
      child.child.once('exit', (code) => {
        clearTimeout(timer);
        // 'exit' may come before the pipes are drained: 'close' has all of the output.
        child.child.once('close', () => resolve({ code, stdout: child.stdout, stderr: child.stderr, ms: Date.now() - started }));
      });
    });
  }

  /** Starts a long-running command (watch); stop it with `stop()` (SIGTERM by PID). */
  spawn(args: string[], env: Record<string, string | undefined> = {}): RunningCli {
    const clean: Record<string, string | undefined> = { ...process.env };
    for (const key of Object.keys(clean)) if (key.startsWith('ETCD_')) delete clean[key];
    return new RunningCli(spawn(process.execPath, [this.main, ...args], { env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit. */
  ms: number;
}

export class RunningCli {
  stdout = '';
  stderr = '';
  private readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (c: Buffer) => (this.stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (this.stderr += c.toString()));
    this.exited = new Promise((resolve) => child.once('close', (code) => resolve(code)));
  }

  /** The stdout lines so far. */
  get lines(): string[] {
    return this.stdout.split('\n').filter(Boolean);
  }

  /** Waits (with a deadline) for a stdout line matching `pattern`. */
  line(pattern: RegExp, timeoutMs = 10_000): Promise<string> {
    return waitFor(() => this.lines.find((l) => pattern.test(l)), {
      timeoutMs,
      message: `a line matching ${pattern}; stdout: ${this.stdout} stderr: ${this.stderr}`,
    });
  }

  /** SIGTERM by PID; resolves with the exit code (SIGKILL after `timeoutMs`, then rejects). */
  async stop(timeoutMs = 10_000): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(new Error(`the CLI did not exit within ${timeoutMs} ms of SIGTERM`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
