import { ChildProcess, spawn } from 'child_process';
import { mkdtempSync, rmSync } from 'fs';
import { request } from 'http';
import { tmpdir } from 'os';
import { join } from 'path';
import { findEtcdBinary } from './etcd-binary';

export interface EtcdMemberConfig {
  name: string;
  clientPort: number;
  peerPort: number;
  /** The peer port other members dial (a PeerProxy in front of peerPort); peerPort when unset. */
  advertisedPeerPort?: number | undefined;
  /** `name=http://127.0.0.1:port,...` for every member of the cluster. */
  initialCluster: string;
  clusterToken: string;
  extraArgs?: string[] | undefined;
  /** The etcd binary; ETCD_BIN, then `etcd` on PATH, when unset (looked up when the member starts). */
  binary?: string | undefined;
}

const live = new Set<EtcdMember>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Never leave an etcd behind, whatever ends this process; each is stopped by its PID.
  process.on('exit', () => {
    for (const member of live) member.killSync();
  });
}

function healthy(port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/health', timeout: timeoutMs }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(res.statusCode === 200 && body.includes('"health":"true"')));
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

/** Fast election settings for tests: starts and leader elections in well under a second. */
export const FAST_ELECTION_ARGS = ['--heartbeat-interval', '20', '--election-timeout', '200'];

/**
 * One etcd process on loopback, in its own temporary data dir, controlled by PID.
 * It can be stopped, killed, paused, resumed, restarted with its data, or wiped.
 */
export class EtcdMember {
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private stderrTail = '';
  readonly dataDir: string;

  constructor(readonly config: EtcdMemberConfig) {
    this.dataDir = mkdtempSync(join(tmpdir(), `etcd-${config.name}-`));
  }

  get endpoint(): string {
    return `127.0.0.1:${this.config.clientPort}`;
  }

  get clientUrl(): string {
    return `http://${this.endpoint}`;
  }

  get peerUrl(): string {
    return `http://127.0.0.1:${this.config.peerPort}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the process (with whatever its data dir holds). `newCluster` false joins an existing one. */
  start(state: 'new' | 'existing' = 'new'): void {
    if (this.running) throw new Error(`etcd member ${this.config.name} is already running`);
    const c = this.config;
    const args = [
      '--name',
      c.name,
      '--data-dir',
      this.dataDir,
      '--listen-client-urls',
      this.clientUrl,
      '--advertise-client-urls',
      this.clientUrl,
      '--listen-peer-urls',
      this.peerUrl,
      '--initial-advertise-peer-urls',
      `http://127.0.0.1:${c.advertisedPeerPort ?? c.peerPort}`,
      '--initial-cluster',
      c.initialCluster,
      '--initial-cluster-token',
      c.clusterToken,
      '--initial-cluster-state',
      state,
      '--logger',
      'zap',
      '--log-outputs',
      'stderr',
      '--log-level',
      'error',
      ...(c.extraArgs ?? []),
    ];
    const child = spawn(findEtcdBinary(c.binary), args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-4000);
    });
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    // A spawn failure (ENOENT...) is reported by waitHealthy through `running`, never as an unhandled 'error'.
    child.on('error', (e) => (this.stderrTail += `\n${e.message}`));
    this.child = child;
    live.add(this);
    installExitHook();
  }

  async waitHealthy(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`etcd ${this.config.name} exited while starting: ${this.stderrTail}`);
      if (await healthy(this.config.clientPort, 1000)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`etcd ${this.config.name} not healthy after ${timeoutMs} ms: ${this.stderrTail}`);
  }

  /** Sends a signal to this member's PID and, for SIGTERM/SIGKILL, waits until it has exited. */
  private async signal(sig: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    child.kill(sig);
    if (sig === 'SIGTERM' || sig === 'SIGKILL') {
      await this.exited;
      live.delete(this);
    }
  }

  stop(): Promise<void> {
    return this.signal('SIGTERM');
  }

  kill(): Promise<void> {
    return this.signal('SIGKILL');
  }

  /** SIGSTOP: the member is cut off (its sockets stay open but nothing answers). */
  pause(): Promise<void> {
    return this.signal('SIGSTOP');
  }

  resume(): Promise<void> {
    return this.signal('SIGCONT');
  }

  /** Deletes the data dir's content (the member must be stopped). */
  wipe(): void {
    if (this.running) throw new Error(`stop etcd member ${this.config.name} before wiping it`);
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  killSync(): void {
    if (this.running) {
      try {
        this.child!.kill('SIGCONT');
        this.child!.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }

  /** Kills the process and deletes its data dir. */
  async destroy(): Promise<void> {
    this.killSync();
    if (this.exited) await this.exited;
    live.delete(this);
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
