import { ChildProcess, fork } from 'child_process';
import { Etcd3 } from 'etcd3';
import { join } from 'path';
import { ChaosNode, ChaosReport } from '../support/chaos-node';
import { EtcdCluster, startEtcdCluster } from '../support/etcd-cluster';
import { FaultProxy, startFaultProxy } from '../support/fault-proxy';
import { freshRead, printFigures, rawClient, recordFigure, sameMap, seededRandom } from '../support/registry-probe';
import { waitFor } from '../support/wait-for';

const SPEC = 'chaos';
const DURATION_MS = Number(process.env.CHAOS_MS ?? 55_000);
const SEED = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
const IN_PROCESS_NODES = 3;
const CHILD_NODES = 2;
const PREFIX = '/chaos/';

jest.setTimeout(DURATION_MS + 150_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A chaos node in a forked process, driven by messages. */
class ChildNode {
  private readonly child: ChildProcess;
  private waiting = new Map<string, (msg: { report?: ChaosReport; message?: string }) => void>();

  constructor(readonly id: string) {
    this.child = fork(join(__dirname, 'chaos-worker.ts'), [], {
      execArgv: ['-r', 'ts-node/register/transpile-only'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (msg: { cmd: string; report?: ChaosReport; message?: string }) => {
      const key = msg.cmd === 'error' ? [...this.waiting.keys()][0] : msg.cmd;
      const resolve = key ? this.waiting.get(key) : undefined;
      if (resolve) {
        this.waiting.delete(key);
        resolve(msg);
      }
    });
  }

  private ask(cmd: string, reply: string, extra: object = {}, timeoutMs = 60_000): Promise<{ report?: ChaosReport; message?: string }> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`chaos child ${this.id}: no '${reply}' within ${timeoutMs} ms`)), timeoutMs);
      this.waiting.set(reply, (msg) => {
        clearTimeout(timer);
        if (msg.message) reject(new Error(`chaos child ${this.id}: ${msg.message}`));
        else resolve(msg);
      });
      this.child.send({ cmd, ...extra });
    });
  }

  async start(endpoints: string[], seed: number): Promise<void> {
    await this.ask('start', 'started', { id: this.id, endpoints, prefix: PREFIX, seed });
  }

  async report(): Promise<ChaosReport> {
    return (await this.ask('report', 'report')).report!;
  }

  async quiesce(): Promise<ChaosReport> {
    return (await this.ask('quiesce', 'quiesced')).report!;
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    await this.ask('close', 'closed', {}, 15_000).catch(() => this.child.kill('SIGKILL'));
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

/**
 * Several registries in this process and in child processes register and
 * unregister at random while members are killed or paused and links cut or delayed. After
 * quiescing, each watcher's last map equals a fresh read of etcd, and etcd holds exactly the
 * live registrations. Replay a failure with CHAOS_SEED=<seed> (and CHAOS_MS=<ms>).
 */
describe('seeded chaos', () => {
  let cluster: EtcdCluster;
  let checker: Etcd3;
  const proxies: FaultProxy[] = [];
  const nodes: ChaosNode[] = [];
  const children: ChildNode[] = [];
  const log: string[] = [];

  beforeAll(async () => {
    process.stdout.write(
      `chaos: seed ${SEED}, ${DURATION_MS} ms (replay: CHAOS_SEED=${SEED} CHAOS_MS=${DURATION_MS} npm run test:faults -- chaos)\n`,
    );
    cluster = await startEtcdCluster(3);
    checker = rawClient(cluster.endpoints);
  });

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.close().catch(() => undefined)));
    await Promise.all(children.map((c) => c.close()));
    children.forEach((c) => c.kill());
    await Promise.all(proxies.map((p) => p.close()));
    checker?.close();
    await cluster?.destroy();
    printFigures(`${SPEC} (seed ${SEED})`);
  });

  it(`ends exact: every watcher equals etcd, etcd holds exactly the live registrations (seed ${SEED})`, async () => {
    const random = seededRandom(SEED);
    for (let i = 0; i < IN_PROCESS_NODES + CHILD_NODES; i++) proxies.push(await startFaultProxy(cluster.endpoints));
    for (let i = 0; i < IN_PROCESS_NODES; i++) {
      const node = new ChaosNode(`n${i}`, proxies[i].endpoints, PREFIX, seededRandom(SEED + i + 1));
      nodes.push(node);
    }
    for (let i = 0; i < CHILD_NODES; i++) children.push(new ChildNode(`p${i}`));
    await Promise.all([
      ...nodes.map((n) => n.start()),
      ...children.map((c, i) => c.start(proxies[IN_PROCESS_NODES + i].endpoints, SEED + 100 + i)),
    ]);

    // Reference: when each value reached etcd, seen by a direct watch (for the staleness figures).
    const committed: { key: string; value: string; at: number }[] = [];
    const reference = await checker.watch().prefix(PREFIX).create();
    reference.on('put', (kv) => committed.push({ key: kv.key.toString(), value: kv.value.toString(), at: Date.now() }));

    // Faults, one at a time, each healed before the next (a cut may outlast the 3 s TTL).
    const counts: Record<string, number> = {};
    const t0 = Date.now();
    while (Date.now() - t0 < DURATION_MS) {
      const pick = random();
      const ms = 500 + Math.floor(random() * 3500);
      const member = Math.floor(random() * 3);
      const link = Math.floor(random() * proxies.length);
      let kind: string;
      if (pick < 0.2) {
        kind = 'kill member';
        await cluster.kill(member);
        await sleep(ms);
        await cluster.restart(member);
      } else if (pick < 0.35) {
        kind = 'kill leader';
        const leader = await cluster.leader();
        await cluster.kill(leader);
        await sleep(ms);
        await cluster.restart(leader);
      } else if (pick < 0.5) {
        kind = 'pause member';
        await cluster.pause(member);
        await sleep(ms);
        await cluster.resume(member);
      } else if (pick < 0.8) {
        kind = 'cut link';
        proxies[link].cut();
        await sleep(ms);
        proxies[link].heal();
      } else {
        kind = 'delay link';
        proxies[link].delay(50 + Math.floor(random() * 250));
        await sleep(ms);
        proxies[link].heal();
      }
      counts[kind] = (counts[kind] ?? 0) + 1;
      log.push(`${Date.now() - t0} ms: ${kind} (member ${member}, link ${link}) for ${ms} ms`);
      await sleep(200 + Math.floor(random() * 800));
    }

    // Quiesce: everything healed and running; stop the changes (in-flight operations complete).
    proxies.forEach((p) => p.heal());
    await cluster.startAll();
    const quietAt = Date.now();
    const reports = await Promise.all([...nodes.map((n) => n.quiesce()), ...children.map((c) => c.quiesce())]);
    const expected: Record<string, string> = Object.assign({}, ...reports.map((r) => r.expected));

    // etcd holds exactly the live registrations (expired keys restored, unregistered ones gone).
    let inEtcd: Record<string, string> = {};
    await waitFor(
      async () => {
        inEtcd = await freshRead(checker, PREFIX);
        return sameMap(inEtcd, expected);
      },
      { timeoutMs: 30_000, intervalMs: 200, message: `etcd to hold exactly the live registrations (seed ${SEED})` },
    ).catch((e: Error) => {
      throw new Error(`${e.message}\nexpected ${JSON.stringify(expected)}\netcd     ${JSON.stringify(inEtcd)}\nfaults:\n${log.join('\n')}`);
    });
    recordFigure(SPEC, 'etcd exact after quiesce', Date.now() - quietAt);

    // Every watcher's last map equals a fresh read.
    let lastReports: ChaosReport[] = [];
    await waitFor(
      async () => {
        lastReports = [...nodes.map((n) => n.report()), ...(await Promise.all(children.map((c) => c.report())))];
        const now = await freshRead(checker, PREFIX);
        return lastReports.every((r) => sameMap(r.last, now));
      },
      { timeoutMs: 30_000, intervalMs: 200, message: `every watcher to equal etcd (seed ${SEED})` },
    ).catch((e: Error) => {
      const stale = lastReports.filter((r) => !sameMap(r.last, inEtcd)).map((r) => `${r.id}: ${JSON.stringify(r.last)}`);
      throw new Error(`${e.message}\netcd ${JSON.stringify(inEtcd)}\nstale watchers:\n${stale.join('\n')}\nfaults:\n${log.join('\n')}`);
    });
    recordFigure(SPEC, 'all watchers exact after quiesce', Date.now() - quietAt);
    await reference.cancel();

    // Staleness: for each value put, how long after the reference saw it each in-process watcher had it.
    const staleness: number[] = [];
    const firstPut = new Map<string, number>();
    for (const c of committed) if (!firstPut.has(`${c.key}=${c.value}`)) firstPut.set(`${c.key}=${c.value}`, c.at);
    for (const [kv, at] of firstPut) {
      const [key, value] = [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)];
      for (const n of nodes) {
        const seen = n.received.find((r) => r.map[key] === value)?.at;
        if (seen !== undefined) staleness.push(Math.max(0, seen - at));
      }
    }
    staleness.sort((a, b) => a - b);
    const q = (x: number) => staleness[Math.min(staleness.length - 1, Math.floor(x * staleness.length))] ?? 0;
    recordFigure(SPEC, 'watcher staleness p50', q(0.5));
    recordFigure(SPEC, 'watcher staleness p99', q(0.99));
    recordFigure(SPEC, 'longest staleness seen', q(1));
    // The longest fault is 4 s; a watcher must never lag much beyond a fault plus its recovery.
    expect(q(1)).toBeLessThan(15_000);
    recordFigure(
      SPEC,
      'operations completed',
      reports.reduce((s, r) => s + r.ops, 0),
      'ops',
    );
    recordFigure(
      SPEC,
      'failed attempts (retried)',
      reports.reduce((s, r) => s + r.failedAttempts, 0),
      'attempts',
    );
    recordFigure(SPEC, 'faults injected', log.length, 'faults');
    process.stdout.write(`chaos faults: ${JSON.stringify(counts)}\n`);
    expect(Object.keys(expected).length).toBeGreaterThan(0);
  });
});
