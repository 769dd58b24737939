import { ChildProcess, spawn } from 'child_process';
import { join } from 'path';
import { freePort } from './free-port';
import { waitFor } from './wait-for';

export interface UserServiceProcess {
  id: string;
  port: number;
  tcpPort: number;
  child: ChildProcess;
  output: string;
  exited: Promise<void>;
  /** SIGKILL by PID: nothing is unregistered, the key stays until the lease expires. */
  kill(): Promise<void>;
  /** SIGSTOP by PID: a hung instance (sockets open, nothing answered, no keep-alive: the key goes with its lease). */
  pause(): void;
  /** SIGCONT by PID. */
  resume(): void;
  /** SIGTERM by PID: the app's shutdown hooks run (drain, unregister); resolves once it exited. */
  terminate(): Promise<void>;
}

/** Starts user-service-app.ts children (real Nest apps, HTTP + TCP); every one is killed by PID in `stopAll`. */
export class UserServiceFleet {
  readonly all: UserServiceProcess[] = [];

  constructor(
    private readonly endpoints: readonly string[],
    private readonly prefix: string,
  ) {}

  async start(id: string, env: Record<string, string> = {}): Promise<UserServiceProcess> {
    const [port, tcpPort] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join(__dirname, 'user-service-app.ts')], {
      env: {
        ...process.env,
        ...env,
        ETCD_ENDPOINTS: this.endpoints.join(','),
        PREFIX: this.prefix,
        SERVICE_ID: id,
        PORT: String(port),
        TCP_PORT: String(tcpPort),
        TS_NODE_TRANSPILE_ONLY: 'true',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const proc: UserServiceProcess = {
      id,
      port,
      tcpPort,
      child,
      output: '',
      exited: new Promise((resolve) => child.once('exit', () => resolve())),
      async kill() {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await proc.exited;
      },
      pause: () => void child.kill('SIGSTOP'),
      resume: () => void child.kill('SIGCONT'),
      async terminate() {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        await proc.exited;
      },
    };
    child.stdout.on('data', (b: Buffer) => (proc.output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (proc.output += b.toString()));
    this.all.push(proc);
    await waitFor(
      () => {
        if (child.exitCode !== null) throw new Error(`${id} exited: ${proc.output}`);
        return proc.output.includes(`ready ${id}`);
      },
      { timeoutMs: 40_000, intervalMs: 50, message: `${id} to start and register` },
    );
    return proc;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.all.splice(0).map((p) => p.kill()));
  }
}
