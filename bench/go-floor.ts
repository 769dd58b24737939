import { ChildProcess, spawn } from 'child_process';
import { join } from 'path';
import { createInterface } from 'readline';
import { buildGoPrograms, goToolchain } from '../test/support/go-programs';

/** The benchmark's Go programs: the clientv3 floor and the seed's design (same line protocol). */
export interface BenchGoPrograms {
  floor: string;
  seed: string;
}

/**
 * Builds the Go clientv3 floor (bench/go/floor) and the Go seed design (bench/go/seed) offline;
 * undefined (with a message) when Go or clientv3 is missing.
 */
export async function buildBenchGo(log: (m: string) => void): Promise<BenchGoPrograms | undefined> {
  const go = goToolchain();
  if (!go) {
    log(
      '  Go toolchain or clientv3 sources missing: the Go floor and the Go seed design are left out (apt-get install -y golang-go golang-etcd-server-dev)',
    );
    return undefined;
  }
  const { paths, buildMs } = await buildGoPrograms(go, {
    sources: join(__dirname, 'go'),
    programs: ['floor', 'seed'] as const,
    packages: ['lineproto'],
  });
  if (buildMs) log(`  built the Go floor and the Go seed design in ${(buildMs / 1000).toFixed(1)} s`);
  return paths;
}

/** One Go program, driven line by line over stdin/stdout; stopped by closing stdin, then by PID. */
class GoLines {
  private readonly child: ChildProcess;
  private readonly lines: string[] = [];
  private waiter?: () => void;
  private errors = '';

  constructor(
    path: string,
    args: string[],
    private readonly name: string,
  ) {
    this.child = spawn(path, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      this.lines.push(line);
      this.waiter?.();
    });
    this.child.stderr!.on('data', (d: Buffer) => (this.errors += d.toString()));
    this.child.once('exit', () => this.waiter?.());
  }

  /** The next line that `match` accepts (earlier lines are dropped), within `timeoutMs`. */
  async next(match: (line: string) => boolean, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.lines.length) {
        const line = this.lines.shift()!;
        if (match(line)) return line;
      }
      if (this.child.exitCode !== null) throw new Error(`${this.name} exited (${this.child.exitCode}): ${this.errors}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.name}: no expected line within ${timeoutMs} ms (${this.errors})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          this.waiter = undefined;
          resolve();
        };
      });
    }
  }

  send(line: string): void {
    this.child.stdin!.write(`${line}\n`);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * A Go writer and a Go watcher (separate processes, as the Node designs' agents) of one Go program
 * speaking the floor's line protocol: the clientv3 floor of figure 1, or the Go seed design.
 */
export class GoFloorPair {
  private constructor(
    private readonly writer: GoLines,
    private readonly watcher: GoLines,
  ) {}

  static async start(path: string, endpoints: string[], prefix: string, ttlSeconds: number, name = 'Go floor'): Promise<GoFloorPair> {
    const common = ['-endpoints', endpoints.join(',')];
    const writer = new GoLines(path, ['-mode', 'write', ...common, '-ttl', String(ttlSeconds)], `${name} writer`);
    const watcher = new GoLines(path, ['-mode', 'watch', ...common, '-prefix', prefix], `${name} watcher`);
    await Promise.all([writer.next((l) => l === 'ready'), watcher.next((l) => l === 'ready')]);
    return new GoFloorPair(writer, watcher);
  }

  /**
   * Puts (under the writer's lease) or deletes `key`; ms from the request until the watcher had the
   * event. Only a line stamped after the request counts: the seed design's 5 s re-read can hand over
   * a map older than an event it already delivered, so a key can flicker out before it is deleted.
   */
  async change(kind: 'put' | 'delete', key: string, value = ''): Promise<number> {
    const t = await this.write(kind, key, value);
    return Number((await this.expectEvent(kind, key, t.t0)) - t.t0) / 1e6;
  }

  /** A change whose event the Go watcher is expected to see too: the writer's times and the watcher's. */
  async timedChange(kind: 'put' | 'delete', key: string, value = ''): Promise<{ t0: bigint; callMs: number; seenMs: number }> {
    const seen = this.expectEvent(kind, key);
    const t = await this.write(kind, key, value);
    return { t0: t.t0, callMs: Number(t.t1 - t.t0) / 1e6, seenMs: Number((await seen) - t.t0) / 1e6 };
  }

  /** The Go writer's request alone: its monotonic times before the request and once etcd answered. */
  async write(kind: 'put' | 'delete', key: string, value = ''): Promise<{ t0: bigint; t1: bigint }> {
    this.writer.send(kind === 'put' ? `put ${key} ${value}` : `delete ${key}`);
    const [t0, t1] = (await this.writer.next(() => true)).split(' ').map((x) => BigInt(x));
    return { t0, t1 };
  }

  /** The monotonic time (ns) at which the Go watcher gets the event of `key` (at `notBefore` or later). */
  expectEvent(kind: 'put' | 'delete', key: string, notBefore?: bigint): Promise<bigint> {
    const at = (l: string) => BigInt(l.split(' ')[2]);
    return this.watcher.next((l) => l.startsWith(`${kind} ${key} `) && (notBefore === undefined || at(l) >= notBefore)).then(at);
  }

  async stop(): Promise<void> {
    await Promise.all([this.writer.stop(), this.watcher.stop()]);
  }
}
