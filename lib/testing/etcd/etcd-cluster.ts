import { request } from 'http';
import { EtcdMember, FAST_ELECTION_ARGS } from './etcd-member';
import { freePort } from './free-port';
import { PeerProxy } from './peer-proxy';
import { waitUntil } from './wait-until';

export interface MemberStatus {
  /** This member's id (decimal string). */
  memberId: string;
  /** The id of the leader this member knows of ('0' when none). */
  leaderId: string;
  clusterId: string;
  revision: number;
}

/** POST /v3/maintenance/status on one member (etcd's gRPC gateway); undefined when it does not answer in time. */
export function memberStatus(port: number, timeoutMs = 1000): Promise<MemberStatus | undefined> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/v3/maintenance/status',
        timeout: timeoutMs,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => {
          try {
            const j = JSON.parse(body);
            resolve({
              memberId: String(j.header?.member_id ?? ''),
              leaderId: String(j.leader ?? '0'),
              clusterId: String(j.header?.cluster_id ?? ''),
              revision: Number(j.header?.revision ?? 0),
            });
          } catch {
            resolve(undefined);
          }
        });
      },
    );
    req.on('error', () => resolve(undefined));
    req.on('timeout', () => {
      req.destroy();
      resolve(undefined);
    });
    req.end('{}');
  });
}

interface Slot {
  name: string;
  clientPort: number;
  peerPort: number;
  /** With `peerProxies`: the proxy other members reach this member's peer port through. */
  peerProxy?: PeerProxy | undefined;
}

export interface ClusterOptions {
  /** Route peer traffic through a PeerProxy per member, so `isolate(i)` can cut one member off. */
  peerProxies?: boolean | undefined;
  /** The etcd binary; ETCD_BIN, then `etcd` on PATH, when unset. */
  binary?: string | undefined;
  /** Default election settings instead of the fast ones (heartbeat 20 ms, election timeout 200 ms). */
  defaultElections?: boolean | undefined;
  /** How long the members may take to become healthy (default 30 s). */
  startTimeoutMs?: number | undefined;
}

/**
 * An n-member etcd cluster on loopback. Members keep their ports for the cluster's whole life,
 * so a client configured with `endpoints` reaches them across stops, restarts and wipes.
 */
export class EtcdCluster {
  members: EtcdMember[] = [];
  private generation = 0;

  private constructor(
    private readonly slots: Slot[],
    private readonly extraArgs: string[],
    private readonly id: string,
    private readonly options: ClusterOptions,
  ) {}

  static async start(n = 3, extraArgs: string[] = [], options: ClusterOptions = {}): Promise<EtcdCluster> {
    const slots: Slot[] = [];
    for (let i = 0; i < n; i++) {
      const clientPort = await freePort();
      const peerPort = await freePort();
      const peerProxy = options.peerProxies ? await PeerProxy.create(peerPort) : undefined;
      slots.push({ name: `m${i}-${clientPort}`, clientPort, peerPort, peerProxy });
    }
    const cluster = new EtcdCluster(slots, extraArgs, `c${slots[0].clientPort}`, options);
    await cluster.createMembers();
    return cluster;
  }

  /** `127.0.0.1:port` of each member, in member order. */
  get endpoints(): string[] {
    return this.slots.map((s) => `127.0.0.1:${s.clientPort}`);
  }

  get clientPorts(): number[] {
    return this.slots.map((s) => s.clientPort);
  }

  member(i: number): EtcdMember {
    return this.members[i];
  }

  /** New EtcdMember objects (fresh, empty data dirs) on the slots' ports, started concurrently. */
  private async createMembers(): Promise<void> {
    this.generation++;
    const initialCluster = this.slots.map((s) => `${s.name}=http://127.0.0.1:${s.peerProxy?.port ?? s.peerPort}`).join(',');
    this.members = this.slots.map(
      (s) =>
        new EtcdMember({
          name: s.name,
          clientPort: s.clientPort,
          peerPort: s.peerPort,
          advertisedPeerPort: s.peerProxy?.port,
          initialCluster,
          // A new token per generation: a wiped cluster gets a new cluster id, as a real rebuild would.
          clusterToken: `${this.id}-g${this.generation}`,
          extraArgs: [...(this.options.defaultElections ? [] : FAST_ELECTION_ARGS), ...this.extraArgs],
          binary: this.options.binary,
        }),
    );
    for (const m of this.members) m.start('new');
    try {
      await Promise.all(this.members.map((m) => m.waitHealthy(this.options.startTimeoutMs ?? 30_000)));
    } catch (e) {
      await Promise.all(this.members.map((m) => m.destroy()));
      throw e;
    }
  }

  /** SIGTERM (graceful; a leader first transfers leadership, which can take seconds). */
  stop(i: number): Promise<void> {
    return this.members[i].stop();
  }

  /** SIGKILL: immediate. */
  kill(i: number): Promise<void> {
    return this.members[i].kill();
  }

  /** SIGSTOP: the member's sockets stay open but it answers nothing. */
  pause(i: number): Promise<void> {
    return this.members[i].pause();
  }

  /** SIGCONT. */
  resume(i: number): Promise<void> {
    return this.members[i].resume();
  }

  /** Starts a stopped or killed member again with its data; waits until it is healthy (needs a quorum). */
  async restart(i: number, timeoutMs = 30_000): Promise<void> {
    const m = this.members[i];
    if (!m.running) m.start('new');
    await m.waitHealthy(timeoutMs);
  }

  /** Kills every member (SIGKILL), concurrently. */
  async killAll(): Promise<void> {
    await Promise.all(this.members.map((m) => m.kill()));
  }

  /** Kills every member and starts them all again with their data; waits until all are healthy. */
  async restartAll(timeoutMs = 30_000): Promise<void> {
    await this.killAll();
    for (const m of this.members) m.start('new');
    await Promise.all(this.members.map((m) => m.waitHealthy(timeoutMs)));
  }

  /** Starts every member that is not running (with its data) and waits until all are healthy. */
  async startAll(timeoutMs = 30_000): Promise<void> {
    for (const m of this.members) if (!m.running) m.start('new');
    await Promise.all(this.members.map((m) => m.waitHealthy(timeoutMs)));
  }

  /** Kills everything, deletes all data and starts an empty cluster (new cluster id) on the same endpoints. */
  async wipeAndRestart(): Promise<void> {
    await Promise.all(this.members.map((m) => m.destroy()));
    await this.createMembers();
  }

  /** Index of the current leader, waiting up to timeoutMs until the running members agree on one. */
  async leader(timeoutMs = 15_000): Promise<number> {
    const found = await waitUntil<number | undefined>(
      async () => {
        const statuses = await Promise.all(
          this.slots.map((s, i) => (this.members[i].running ? memberStatus(s.clientPort) : Promise.resolve(undefined))),
        );
        const leaderIds = new Set(statuses.filter((s) => s && s.leaderId !== '0').map((s) => s!.leaderId));
        if (leaderIds.size !== 1) return undefined;
        const [leaderId] = [...leaderIds];
        const idx = statuses.findIndex((s) => s?.memberId === leaderId);
        return idx >= 0 ? idx + 1 : undefined; // +1: index 0 must be truthy for waitUntil
      },
      'an etcd leader',
      timeoutMs,
    );
    return found - 1;
  }

  /** Status of every member (undefined for one that does not answer). */
  statuses(): Promise<(MemberStatus | undefined)[]> {
    return Promise.all(this.slots.map((s) => memberStatus(s.clientPort)));
  }

  /**
   * Cuts member i off from the other members (needs `peerProxies`): every peer link to it and from
   * it is reset and refused, while its client port keeps answering (a minority partition).
   */
  async isolate(i: number): Promise<void> {
    const status = await memberStatus(this.slots[i].clientPort);
    if (!status) throw new Error(`member ${i} does not answer: cannot learn its id`);
    const idHex = BigInt(status.memberId).toString(16);
    this.slots.forEach((s, k) => {
      if (!s.peerProxy) throw new Error('isolate() needs a cluster started with { peerProxies: true }');
      if (k === i) s.peerProxy.isolate();
      else s.peerProxy.refuseFrom(idHex);
    });
  }

  /** Restores every peer link cut by isolate(). */
  healPeers(): void {
    for (const s of this.slots) s.peerProxy?.heal();
  }

  /** Kills every member and deletes every data dir. */
  async destroy(): Promise<void> {
    await Promise.all(this.members.map((m) => m.destroy()));
    await Promise.all(
      this.slots
        .map((s) => s.peerProxy)
        .filter((p) => p !== undefined)
        .map((p) => p.close()),
    );
  }
}

/** Starts an n-member cluster (fast elections, concurrent start) and waits until every member is healthy. */
export function startEtcdCluster(n = 3, extraArgs: string[] = [], options: ClusterOptions = {}): Promise<EtcdCluster> {
  return EtcdCluster.start(n, extraArgs, options);
}
