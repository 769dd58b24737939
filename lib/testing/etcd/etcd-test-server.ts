import { Etcd3, IOptions } from 'etcd3';
import { findEtcdBinary } from './etcd-binary';
import { EtcdCluster } from './etcd-cluster';
import { EtcdTestServerError } from './errors';
import { FaultProxy } from './fault-proxy';
import { waitUntil } from './wait-until';

/** A member by its index (0-based, in the order of `directEndpoints`), or whichever member leads now. */
export type EtcdMemberRef = number | 'leader';

/** Options of `EtcdTestServer.start`. */
export interface EtcdTestServerStartOptions {
  /** How many members: 1 (the default) or more (3: a quorum survives one member down). */
  members?: number | undefined;
  /** The etcd binary; ETCD_BIN, then `etcd` on PATH, when unset. */
  binary?: string | undefined;
  /** More etcd flags for every member (a later flag overrides the kit's own). */
  extraArgs?: readonly string[] | undefined;
  /**
   * Turns auth on: user `root` with this password (and the root role), then `auth enable`. `client()` and
   * the faults then act as root; your own users and roles are yours to add through `client()`.
   */
  rootPassword?: string | undefined;
  /** etcd's default election settings, instead of the kit's fast ones (heartbeat 20 ms, election timeout 200 ms). */
  defaultElections?: boolean | undefined;
  /** Peer traffic through a proxy per member, so that `isolate(member)` can cut a member off from the others. */
  peerProxies?: boolean | undefined;
  /** How long the members may take to become healthy (default 30 s). */
  startTimeoutMs?: number | undefined;
}

/** Options of `EtcdTestServer.attach`. */
export interface EtcdTestServerAttachOptions {
  /** The members' client endpoints (`host:port` or `http(s)://host:port`), e.g. a testcontainers or compose etcd. */
  endpoints: readonly string[];
  /** A user that may compact, revoke any lease and turn auth off and on (root), on an etcd with auth. */
  auth?: { username: string; password: string } | undefined;
  /** More etcd3 client options for `client()` and the faults (TLS `credentials`...). */
  clientOptions?: Omit<IOptions, 'hosts' | 'auth'> | undefined;
}

function stripScheme(endpoint: string): { scheme: string; hostPort: string } {
  const m = /^(https?:\/\/)?(.*?)\/?$/.exec(endpoint);
  return { scheme: m?.[1] ?? '', hostPort: m?.[2] ?? endpoint };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.catch(() => undefined),
    new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms))),
  ]).finally(() => clearTimeout(timer));
}

/**
 * A real etcd for integration tests, with the faults this package is tested with. `start()` runs etcd
 * (1 or 3 members) from a binary on free loopback ports in temporary directories, and stops it by PID;
 * `attach()` takes an etcd someone else runs (testcontainers, compose), where only the faults that need no
 * process of ours work (links, compaction, leases, auth tokens).
 *
 * `endpoints` lead through a TCP proxy per member, so the link faults (`blackhole`, `cut`, `delay`) reach
 * every client given them; `client()` talks to the members directly, around those faults.
 */
export class EtcdTestServer {
  private readonly clients = new Set<Etcd3>();
  private stopped = false;

  private constructor(
    private readonly cluster: EtcdCluster | undefined,
    /** The members' own endpoints, as given or started. */
    readonly directEndpoints: readonly string[],
    private readonly proxies: readonly FaultProxy[],
    private readonly auth: { username: string; password: string } | undefined,
    private readonly clientOptions: Omit<IOptions, 'hosts' | 'auth'>,
  ) {}

  /**
   * Starts etcd and waits until every member is healthy. Throws EtcdBinaryNotFoundError (naming ETCD_BIN,
   * PATH and how to install etcd) before taking any port or directory when there is no etcd binary.
   */
  static async start(options: EtcdTestServerStartOptions = {}): Promise<EtcdTestServer> {
    const members = options.members ?? 1;
    if (!Number.isInteger(members) || members < 1) {
      throw new EtcdTestServerError(`members: ${String(members)} is not a number of etcd members (1, 3, ...)`);
    }
    const binary = findEtcdBinary(options.binary);
    const cluster = await EtcdCluster.start(members, [...(options.extraArgs ?? [])], {
      binary,
      peerProxies: options.peerProxies,
      defaultElections: options.defaultElections,
      startTimeoutMs: options.startTimeoutMs,
    });
    const proxies: FaultProxy[] = [];
    try {
      for (const endpoint of cluster.endpoints) proxies.push(await FaultProxy.create([endpoint]));
      const auth = options.rootPassword === undefined ? undefined : { username: 'root', password: options.rootPassword };
      const server = new EtcdTestServer(cluster, cluster.endpoints, proxies, auth, {});
      if (options.rootPassword !== undefined) await server.enableAuth(options.rootPassword);
      return server;
    } catch (e) {
      await Promise.all(proxies.map((p) => p.close()));
      await cluster.destroy();
      throw e;
    }
  }

  /** Attaches to an etcd that runs already; `stop()` closes the kit's proxies and clients and leaves that etcd alone. */
  static async attach(options: EtcdTestServerAttachOptions): Promise<EtcdTestServer> {
    if (options.endpoints.length === 0) throw new EtcdTestServerError('attach: endpoints is empty; give the etcd client endpoints');
    const proxies: FaultProxy[] = [];
    try {
      for (const endpoint of options.endpoints) proxies.push(await FaultProxy.create([stripScheme(endpoint).hostPort]));
    } catch (e) {
      await Promise.all(proxies.map((p) => p.close()));
      throw e;
    }
    return new EtcdTestServer(undefined, [...options.endpoints], proxies, options.auth, options.clientOptions ?? {});
  }

  /** The endpoints to hand to the code under test: through the kit's link proxies, one per member, in member order. */
  get endpoints(): string[] {
    return this.proxies.map((p, i) => `${stripScheme(this.directEndpoints[i] ?? '').scheme}${p.endpoints[0] ?? ''}`);
  }

  /** How many members. */
  get size(): number {
    return this.directEndpoints.length;
  }

  /** True when this kit started etcd (and can kill, pause or restart its members). */
  get ownsProcesses(): boolean {
    return this.cluster !== undefined;
  }

  /** The credentials `client()` uses (root with `rootPassword`, or attach's `auth`), for your own clients. */
  get credentials(): { username: string; password: string } | undefined {
    return this.auth && { ...this.auth };
  }

  /**
   * An etcd3 client straight to the members (around the link faults), as root when auth is on; closed by
   * `stop()`. For reading and writing etcd behind the back of the code under test.
   */
  client(options: Omit<IOptions, 'hosts'> = {}): Etcd3 {
    this.assertRunning('client');
    const client = new Etcd3({
      ...this.clientOptions,
      ...(this.auth ? { auth: this.auth } : {}),
      ...options,
      hosts: [...this.directEndpoints],
    });
    this.clients.add(client);
    return client;
  }

  /** The index of the member that leads, once the members that answer agree on one (waits up to `timeoutMs`). */
  async leader(timeoutMs = 15_000): Promise<number> {
    this.assertRunning('leader');
    if (this.cluster) return this.cluster.leader(timeoutMs);
    const found = await waitUntil(
      async () => {
        const statuses = await Promise.all(
          this.directEndpoints.map(async (endpoint) => {
            const client = new Etcd3({ ...this.clientOptions, ...(this.auth ? { auth: this.auth } : {}), hosts: [endpoint] });
            try {
              return await withTimeout(client.maintenance.status(), 1000);
            } finally {
              client.close();
            }
          }),
        );
        const leaders = new Set(statuses.filter((s) => s && s.leader !== '0').map((s) => s!.leader));
        if (leaders.size !== 1) return undefined;
        const [leaderId] = [...leaders];
        const index = statuses.findIndex((s) => s?.header.member_id === leaderId);
        return index >= 0 ? index + 1 : undefined; // +1: index 0 must be truthy
      },
      'an etcd leader',
      timeoutMs,
    );
    return found - 1;
  }

  /** Whether member `member` runs (always true for an attached etcd: the kit cannot tell). */
  running(member: number): boolean {
    this.index(member);
    return this.cluster ? this.cluster.member(member).running : true;
  }

  /** SIGKILL to a member (the leader: another is elected, with 3 members); resolves with its index once it has exited. */
  async kill(member: EtcdMemberRef): Promise<number> {
    const cluster = this.processes('kill');
    const i = await this.resolve(member);
    await cluster.kill(i);
    return i;
  }

  /** Kills a member if it runs, starts it again with its data, and waits until it is healthy (it needs a quorum). */
  async restart(member: EtcdMemberRef, timeoutMs = 30_000): Promise<number> {
    const cluster = this.processes('restart');
    const i = await this.resolve(member);
    await cluster.kill(i);
    await cluster.restart(i, timeoutMs);
    return i;
  }

  /** SIGSTOP to a member: its sockets stay open and nothing answers (a hung member) until `resume`. */
  async pause(member: EtcdMemberRef): Promise<number> {
    const cluster = this.processes('pause');
    const i = await this.resolve(member);
    await cluster.pause(i);
    return i;
  }

  /** SIGCONT to a paused member. */
  async resume(member: number): Promise<void> {
    await this.processes('resume').resume(this.index(member));
  }

  /** Kills every member, deletes their data and starts an empty etcd (a new cluster id) on the same endpoints. */
  async wipe(): Promise<void> {
    await this.processes('wipe').wipeAndRestart();
  }

  /**
   * The link to a member forwards nothing, both ways, until `heal`: connections stay open and new ones are
   * accepted and held (a silent partition: clients notice by their own timeouts).
   */
  async blackhole(member: EtcdMemberRef): Promise<number> {
    const i = await this.resolve(member);
    this.proxy(i).blackhole();
    return i;
  }

  /** Resets every connection to a member and refuses new ones until `heal` (a loud partition). */
  async cut(member: EtcdMemberRef): Promise<number> {
    const i = await this.resolve(member);
    this.proxy(i).cut();
    return i;
  }

  /** Every chunk on the link to a member, both ways, is forwarded `ms` later (a random delay up to `maxMs` when given). */
  async delay(member: EtcdMemberRef, ms: number, maxMs = ms): Promise<number> {
    const i = await this.resolve(member);
    this.proxy(i).delay(ms, maxMs);
    return i;
  }

  /** Cuts a member off from the other members (start with `peerProxies: true`); its client port keeps answering. */
  async isolate(member: EtcdMemberRef): Promise<number> {
    const cluster = this.processes('isolate');
    const i = await this.resolve(member);
    await cluster.isolate(i);
    return i;
  }

  /** Heals the link faults of one member, or of every member and every peer link when none is named. */
  heal(member?: number): void {
    if (member !== undefined) {
      this.proxy(this.index(member)).heal();
      return;
    }
    for (const p of this.proxies) p.heal();
    this.cluster?.healPeers();
  }

  /** Compacts etcd's history up to its current revision (physically): a watch from an older revision is cancelled. */
  async compact(): Promise<number> {
    const client = this.client();
    try {
      const head = await client.get('\0').exec();
      const revision = head.header.revision;
      await client.kv.compact({ revision, physical: true });
      return Number(revision);
    } finally {
      this.closeClient(client);
    }
  }

  /** Revokes a lease (by id, as etcd3 gives it): its keys go in one revision, and its holder sees it lost. */
  async revokeLease(id: string | number): Promise<void> {
    const client = this.client();
    try {
      await client.leaseClient.leaseRevoke({ ID: id });
    } finally {
      this.closeClient(client);
    }
  }

  /**
   * Makes every auth token etcd has handed out invalid at once (auth off and on again, as root), as a token
   * expiry does: a client's next call with its old token is refused ("invalid auth token"), and a watch or
   * keep-alive stream keeps the old token. Needs auth on (`rootPassword`, or attach's `auth` as root), and
   * etcd's default simple tokens (a JWT keeps its own expiry).
   */
  async expireAuthTokens(): Promise<void> {
    this.assertRunning('expireAuthTokens');
    if (!this.auth) {
      throw new EtcdTestServerError(
        'expireAuthTokens() needs auth: start with { rootPassword } or attach with { auth: { username: "root", password } }',
      );
    }
    const root = this.client();
    try {
      await root.auth.authDisable();
    } finally {
      this.closeClient(root);
    }
    const plain = this.client({ auth: undefined });
    try {
      await plain.auth.authEnable();
    } finally {
      this.closeClient(plain);
    }
  }

  /** Closes the kit's clients and proxies and, when the kit started etcd, kills every member and deletes its data. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const client of this.clients) client.close();
    this.clients.clear();
    await Promise.all(this.proxies.map((p) => p.close()));
    await this.cluster?.destroy();
  }

  private async enableAuth(rootPassword: string): Promise<void> {
    const client = this.client({ auth: undefined });
    try {
      await client.role('root').create();
      await client.user('root').create(rootPassword);
      await client.user('root').addRole('root');
      await client.auth.authEnable();
    } finally {
      this.closeClient(client);
    }
  }

  private closeClient(client: Etcd3): void {
    this.clients.delete(client);
    client.close();
  }

  private assertRunning(what: string): void {
    if (this.stopped) throw new EtcdTestServerError(`${what}(): this EtcdTestServer is stopped`);
  }

  private processes(fault: string): EtcdCluster {
    this.assertRunning(fault);
    if (!this.cluster) {
      throw new EtcdTestServerError(
        `${fault}() needs an etcd this process started (EtcdTestServer.start()): this one is attached to ${this.directEndpoints.join(', ')}, ` +
          'whose processes it cannot signal; use the link faults (blackhole, cut, delay) instead, or stop and start its container yourself',
      );
    }
    return this.cluster;
  }

  private index(member: number): number {
    if (!Number.isInteger(member) || member < 0 || member >= this.size) {
      throw new EtcdTestServerError(`member ${String(member)} does not exist: members are 0 to ${this.size - 1}, or 'leader'`);
    }
    return member;
  }

  private async resolve(member: EtcdMemberRef): Promise<number> {
    this.assertRunning('a fault');
    return member === 'leader' ? this.leader() : this.index(member);
  }

  private proxy(i: number): FaultProxy {
    const proxy = this.proxies[i];
    if (!proxy) throw new EtcdTestServerError(`member ${i} has no link proxy`);
    return proxy;
  }
}
