import { ChildProcess, fork } from 'child_process';
import { join } from 'path';

type Message = { id?: number; ok?: boolean; result?: unknown; error?: string; event?: string; expectId?: number; at?: string };

const live = new Set<Agent>();
process.on('exit', () => {
  for (const a of live) a.killSync();
});

/** The parent's handle on one benchmark child process (bench/agent.ts), stopped by its PID. */
export class Agent {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  private readonly waiting = new Map<number, (at: bigint) => void>();
  private readonly exited: Promise<void>;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.on('message', (m: Message) => {
      if (m.event === 'met') {
        this.waiting.get(m.expectId!)?.(BigInt(m.at!));
        this.waiting.delete(m.expectId!);
      } else if (m.id !== undefined) {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (m.ok) p?.resolve(m.result);
        else p?.reject(new Error(`${this.name}: ${m.error}`));
      }
    });
    child.once('exit', (code, signal) => {
      live.delete(this);
      for (const p of this.pending.values()) p.reject(new Error(`${this.name} exited (${code ?? signal})`));
      this.pending.clear();
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  static async spawn(name: string, opts: { exposeGc?: boolean; timeoutMs?: number } = {}): Promise<Agent> {
    const child = fork(join(__dirname, 'agent.ts'), [], {
      // Not ts-node: it loads Node's domain module, which slows every EventEmitter (see ts-hook.js).
      execArgv: ['-r', join(__dirname, 'ts-hook.js'), ...(opts.exposeGc ? ['--expose-gc'] : [])],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const agent = new Agent(name, child);
    live.add(agent);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} did not start`)), opts.timeoutMs ?? 30_000);
      child.on('message', (m: Message) => {
        if (m.event === 'ready') {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', () => reject(new Error(`${name} exited while starting`)));
    });
    return agent;
  }

  call<T = unknown>(op: string, args: object = {}, timeoutMs = 120_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name}: ${op} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.child.send({ id, op, args });
    });
  }

  /**
   * Sets up a condition on a watch and resolves once the agent has it in place; `met` then resolves
   * with the time of the delivery that met it, or rejects after `timeoutMs`.
   */
  async expect(
    watchId: string,
    cond: { kind: 'has' | 'missing'; key: string } | { kind: 'size'; size: number },
    timeoutMs: number,
  ): Promise<{ met: Promise<bigint> }> {
    const expectId = this.nextId++;
    const met = new Promise<bigint>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(expectId);
        reject(new Error(`${this.name}: ${watchId} did not meet ${JSON.stringify(cond)} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(expectId, (at) => {
        clearTimeout(timer);
        resolve(at);
      });
    });
    met.catch(() => undefined);
    await this.call('expect', { expectId, watchId, ...cond });
    return { met };
  }

  /** SIGKILL by PID; resolves once the process is gone. */
  async kill(): Promise<void> {
    this.killSync();
    await this.exited;
  }

  killSync(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      try {
        this.child.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
}

/** Kills every agent given, by PID, in parallel. */
export async function killAll(agents: Agent[]): Promise<void> {
  await Promise.all(agents.map((a) => a.kill()));
}
