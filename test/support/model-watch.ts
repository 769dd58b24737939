/**
 * Model-based stress test of a prefix watch against a real 3-member etcd,
 * driven by fast-check: random sequences of put and delete bursts, compactions, stalls of the
 * watcher's event loop during a burst, member kills and restarts, and leader moves. After each
 * command the watcher (EtcdRegistry.addWatch in a child process, test/faults/model-watch-worker.ts)
 * must either say it is live at a revision >= etcd's revision after the command, with a map equal
 * to etcd's range read at exactly that revision, or say it is not live (allowed between
 * commands only: at the end of a sequence it must be live and exact).
 *
 * The model of the watch is etcd itself at the revision status() reports. A plain Map of what the
 * commands wrote checks etcd too (it catches a test bug, or a write lost by the test's own retries).
 */
import { ConsecutiveBreaker, circuitBreaker, handleWhen, retry } from 'cockatiel';
import { ChildProcess, fork } from 'child_process';
import { Etcd3, isRecoverableError } from 'etcd3';
import fc from 'fast-check';
import { join } from 'path';
import type { WatchSnapshot, WorkerReply, WorkerRequest } from '../faults/model-watch-worker';
import { etcdctl } from './etcd-auth';
import { EtcdCluster, memberStatus } from './etcd-cluster';
import { waitFor } from './wait-for';

// --- the watcher's process ----------------------------------------------------------------------

/** A request without its id (the id is added when it is sent). */
type Request = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id'> : never) : never;

/** The watching registry in a forked process, driven by request/reply messages. */
export class WatcherProcess {
  private readonly child: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, (msg: WorkerReply) => void>();
  private exitReason?: string;

  constructor() {
    this.child = fork(join(__dirname, '..', 'faults', 'model-watch-worker.ts'), [], {
      execArgv: ['-r', 'ts-node/register/transpile-only'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (msg: WorkerReply) => this.pending.get(msg.id)?.(msg));
    this.child.on('exit', (code, signal) => {
      this.exitReason = `watcher process exited (code ${code}, signal ${signal})`;
      for (const deliver of this.pending.values()) deliver({ id: -1, error: this.exitReason });
    });
  }

  /** Sends `req`; `onReply` gets every reply to it and returns true once the last one came. */
  private exchange(req: Request, onReply: (msg: WorkerReply) => boolean, timeoutMs: number): Promise<void> {
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      if (this.exitReason) return reject(new Error(this.exitReason));
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`watcher process: no answer to '${req.cmd}' within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, (msg) => {
        if (msg.error !== undefined) {
          clearTimeout(timer);
          this.pending.delete(id);
          reject(new Error(`watcher process, '${req.cmd}': ${msg.error}`));
        } else if (onReply(msg)) {
          clearTimeout(timer);
          this.pending.delete(id);
          resolve();
        }
      });
      this.child.send({ ...req, id });
    });
  }

  async request(req: Request, timeoutMs = 20_000): Promise<WorkerReply> {
    let reply: WorkerReply | undefined;
    await this.exchange(
      req,
      (msg) => {
        reply = msg;
        return true;
      },
      timeoutMs,
    );
    return reply!;
  }

  /** The watch's status() (and, `withMap`, the handler's last map, taken at the same moment). */
  async state(withMap: boolean): Promise<WatchSnapshot> {
    const reply = await this.request({ cmd: withMap ? 'snapshot' : 'status' });
    return { live: reply.live ?? false, revision: reply.revision ?? 0, size: reply.size ?? 0, map: reply.map };
  }

  /**
   * Blocks the watcher's event loop for `ms`: resolves once the busy loop is about to start, with
   * a promise of its end.
   */
  async stall(ms: number): Promise<{ ended: Promise<void> }> {
    let started!: () => void;
    const stalling = new Promise<void>((r) => (started = r));
    const ended = this.exchange(
      { cmd: 'stall', ms },
      (msg) => {
        if (msg.phase === 'stalling') started();
        return msg.phase === 'stalled';
      },
      ms + 30_000,
    );
    // Whoever stalls awaits `ended`; until then a rejection of it must not count as unhandled.
    ended.catch(() => undefined);
    await Promise.race([stalling, ended]);
    return { ended };
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    await this.request({ cmd: 'close' }, 10_000).catch(() => undefined);
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

// --- the test's own view of etcd --------------------------------------------------------------

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A client straight to the cluster that recovers quickly when a member dies (etcd3's own breaker stays open 5 s). */
function driverClient(endpoints: string[]): Etcd3 {
  return new Etcd3({
    hosts: endpoints.map((e) => `http://${e}`),
    grpcOptions: { 'grpc.max_receive_message_length': -1 },
    // A unary call stuck on a dead member gives up after 3 s and is retried (streams get no deadline).
    defaultCallOptions: (ctx: { isStream: boolean }) => (ctx.isStream ? {} : { deadline: Date.now() + 3000 }),
    faultHandling: {
      host: () => circuitBreaker(handleWhen(isRecoverableError), { halfOpenAfter: 300, breaker: new ConsecutiveBreaker(3) }),
      global: retry(handleWhen(isRecoverableError), { maxAttempts: 2 }),
    },
  });
}

/** Runs `fn` until it succeeds, or throws its last error after `timeoutMs`. Writes here are idempotent. */
async function retrying<T>(what: string, fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() >= deadline) throw new Error(`${what}: still failing after ${timeoutMs} ms: ${(e as Error).message}`);
      await sleep(Math.min(500, 50 * 2 ** attempt));
    }
  }
}

/** Runs `fn` on every item with at most `concurrency` in flight. */
async function eachLimited<T>(items: T[], concurrency: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  });
  await Promise.all(lanes);
}

/** Puts in flight at once in a burst: enough for thousands of revisions per second here. */
const BURST_CONCURRENCY = 64;
/** Puts per transaction in a batched burst (etcd's default --max-txn-ops is 128). */
const TXN_OPS = 100;
/** Keys are `<prefix>k0000` .. `<prefix>k3999`, so that a range delete takes a contiguous slice. */
export const KEY_SPACE = 4000;

const keyOf = (prefix: string, i: number) => `${prefix}k${String(i % KEY_SPACE).padStart(4, '0')}`;

/** The etcd side: writes, compactions, kills, restarts and leader moves, and reads at a revision. */
export class EtcdDriver {
  readonly client: Etcd3;

  constructor(readonly cluster: EtcdCluster) {
    this.client = driverClient(cluster.endpoints);
  }

  async put(entries: [string, string][], batched: boolean): Promise<void> {
    if (!batched) {
      await eachLimited(entries, BURST_CONCURRENCY, ([k, v]) => retrying(`put ${k}`, () => this.client.put(k).value(v).exec()));
      return;
    }
    const chunks: [string, string][][] = [];
    for (let i = 0; i < entries.length; i += TXN_OPS) chunks.push(entries.slice(i, i + TXN_OPS));
    await eachLimited(chunks, 8, (chunk) =>
      retrying(`txn of ${chunk.length} puts`, () =>
        this.client.kv.txn({
          compare: [],
          success: chunk.map(([k, v]) => ({ request_put: { key: Buffer.from(k), value: Buffer.from(v) } })),
          failure: [],
        }),
      ),
    );
  }

  async deleteEach(keys: string[]): Promise<void> {
    await eachLimited(keys, BURST_CONCURRENCY, (k) => retrying(`delete ${k}`, () => this.client.delete().key(k).exec()));
  }

  /** Deletes [from, to) in one revision. */
  async deleteRange(from: string, to: string): Promise<void> {
    await retrying(`delete range ${from}..${to}`, () => this.client.delete().inRange({ start: from, end: to }).exec());
  }

  /** The prefix as etcd holds it now, and the revision of that read. */
  async readNow(prefix: string): Promise<{ revision: number; map: Map<string, string> }> {
    return retrying(`read of ${prefix}`, async () => {
      const res = await this.client.getAll().prefix(prefix).exec();
      return { revision: Number(res.header.revision), map: new Map(res.kvs.map((kv) => [kv.key.toString(), kv.value.toString()])) };
    });
  }

  /** The prefix as etcd held it at `revision`. */
  async readAt(prefix: string, revision: number): Promise<Map<string, string>> {
    return retrying(`read of ${prefix} at revision ${revision}`, async () => {
      const res = await this.client.getAll().prefix(prefix).revision(revision).exec();
      return new Map(res.kvs.map((kv) => [kv.key.toString(), kv.value.toString()]));
    });
  }

  /** Compacts (physically) at etcd's current revision, unless it already is; says which. */
  async compact(): Promise<string> {
    return retrying('compaction', async () => {
      const revision = Number((await this.client.get('/model-watch/none').exec()).header.revision);
      try {
        await this.client.kv.compact({ revision: String(revision), physical: true });
        return `at revision ${revision}`;
      } catch (e) {
        // Nothing was written since the last compaction: etcd refuses the same revision again.
        if (/required revision has been compacted/.test((e as Error).message)) return `revision ${revision} is compacted already`;
        throw e;
      }
    });
  }

  async leader(): Promise<number> {
    return this.cluster.leader(20_000);
  }

  /** Moves the leadership to member `target` (etcdctl move-leader); resolves once it leads. */
  async moveLeader(target: number): Promise<void> {
    const status = await waitFor(() => memberStatus(this.cluster.clientPorts[target]), {
      timeoutMs: 10_000,
      message: `member ${target}'s status`,
    });
    const hexId = BigInt(status.memberId).toString(16);
    await retrying(`move-leader to member ${target}`, () => etcdctl({ endpoints: this.cluster.endpoints }, ['move-leader', hexId]), 20_000);
    await waitFor(async () => (await this.leader()) === target, { timeoutMs: 10_000, message: `member ${target} to lead` });
  }

  close(): void {
    this.client.close();
  }
}

// --- the model and the commands -------------------------------------------------------------------

/** What the commands wrote, and which member is down. */
export interface Model {
  keys: Map<string, string>;
  down?: number;
  step: number;
}

export interface Real {
  driver: EtcdDriver;
  watcher: WatcherProcess;
  prefix: string;
  /** One line per command, with when and how long it took and what the check saw. */
  log: string[];
  /** The commands run so far (those whose precondition held). */
  ran: string[];
  /** Checks that found the watch not live (tolerated between commands). */
  notLive: number;
  started: number;
}

type ModelCommand = fc.AsyncCommand<Model, Real>;

/** A value of exactly `size` bytes (at least the tag), distinct per step and key. */
function valueOf(step: number, i: number, size: number): string {
  const tag = `s${step}:${i}:`;
  return tag + 'x'.repeat(Math.max(0, size - tag.length));
}

function burstEntries(m: Model, prefix: string, start: number, count: number, size: number): [string, string][] {
  const entries: [string, string][] = [];
  for (let i = 0; i < count; i++) entries.push([keyOf(prefix, start + i), valueOf(m.step, start + i, size)]);
  return entries;
}

/** Runs a command body and the check after it, logging both. */
async function step(m: Model, r: Real, label: string, body: () => Promise<string | void>): Promise<void> {
  m.step++;
  r.ran.push(label);
  const t0 = Date.now();
  const note = (await body()) ?? '';
  r.log.push(`${String(t0 - r.started).padStart(6)} ms  ${label}${note ? ` (${note})` : ''}: ${Date.now() - t0} ms`);
  r.log.push(`${String(Date.now() - r.started).padStart(6)} ms    then ${await checkWatch(m, r, false)}`);
}

export class PutBurst implements ModelCommand {
  constructor(
    readonly start: number,
    readonly count: number,
    readonly valueSize: number,
    readonly batched: boolean,
  ) {}
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    await step(m, r, this.toString(), async () => {
      const entries = burstEntries(m, r.prefix, this.start, this.count, this.valueSize);
      await r.driver.put(entries, this.batched);
      for (const [k, v] of entries) m.keys.set(k, v);
    });
  }
  toString(): string {
    return `PutBurst(${this.start}, ${this.count}, ${this.valueSize} B, ${this.batched ? 'txns' : 'one put each'})`;
  }
}

/**
 * Deletes a share (in percent) of the keys present: spread evenly over them, one delete each, or
 * the first ones in key order, in one range delete (one revision).
 */
export class DeleteBurst implements ModelCommand {
  constructor(
    readonly percent: number,
    readonly oneRange: boolean,
  ) {}
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    await step(m, r, this.toString(), async () => {
      const present = [...m.keys.keys()].sort();
      const n = Math.ceil((present.length * this.percent) / 100);
      if (n === 0) return 'no key present';
      let keys: string[];
      if (this.oneRange) {
        keys = present.slice(0, n);
        // [first, the key after the last): nothing else of the prefix lies between.
        await r.driver.deleteRange(keys[0], `${keys[n - 1]}\0`);
      } else {
        keys = Array.from({ length: n }, (_, i) => present[Math.floor((i * present.length) / n)]);
        await r.driver.deleteEach(keys);
      }
      for (const k of keys) m.keys.delete(k);
      return `${n} of ${present.length} keys`;
    });
  }
  toString(): string {
    return `DeleteBurst(${this.percent}%, ${this.oneRange ? 'one range' : 'one delete each'})`;
  }
}

/** Blocks the watcher's event loop for `stallMs` and makes a burst of single puts meanwhile. */
export class StallDuringBurst implements ModelCommand {
  constructor(
    readonly stallMs: number,
    readonly start: number,
    readonly count: number,
    readonly valueSize: number,
  ) {}
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    await step(m, r, this.toString(), async () => {
      const entries = burstEntries(m, r.prefix, this.start, this.count, this.valueSize);
      const before = (await r.driver.readNow(r.prefix)).revision;
      const { ended } = await r.watcher.stall(this.stallMs);
      const t0 = Date.now();
      await r.driver.put(entries, false);
      const burstMs = Date.now() - t0;
      const after = (await r.driver.readNow(r.prefix)).revision;
      await ended;
      for (const [k, v] of entries) m.keys.set(k, v);
      return `${after - before} revisions written in ${burstMs} ms`;
    });
  }
  toString(): string {
    return `StallDuringBurst(${this.stallMs} ms, ${this.start}, ${this.count}, ${this.valueSize} B)`;
  }
}

export class Compact implements ModelCommand {
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    await step(m, r, this.toString(), () => r.driver.compact());
  }
  toString(): string {
    return 'Compact()';
  }
}

/** SIGKILLs one member (by PID): `leader` or a member index. At most one member is down at a time. */
export class KillMember implements ModelCommand {
  constructor(readonly target: 'leader' | number) {}
  check(m: Readonly<Model>): boolean {
    return m.down === undefined;
  }
  async run(m: Model, r: Real): Promise<void> {
    await step(m, r, this.toString(), async () => {
      const i = this.target === 'leader' ? await r.driver.leader() : this.target;
      await r.driver.cluster.kill(i);
      m.down = i;
      return `member ${i}`;
    });
  }
  toString(): string {
    return `KillMember(${this.target})`;
  }
}

export class RestartMember implements ModelCommand {
  check(m: Readonly<Model>): boolean {
    return m.down !== undefined;
  }
  async run(m: Model, r: Real): Promise<void> {
    await step(m, r, this.toString(), async () => {
      const i = m.down!;
      await r.driver.cluster.restart(i);
      m.down = undefined;
      return `member ${i}`;
    });
  }
  toString(): string {
    return 'RestartMember()';
  }
}

export class MoveLeader implements ModelCommand {
  constructor(readonly target: number) {}
  check(m: Readonly<Model>): boolean {
    return m.down === undefined;
  }
  async run(m: Model, r: Real): Promise<void> {
    await step(m, r, this.toString(), async () => {
      const from = await r.driver.leader();
      if (from === this.target) return `member ${from} leads already`;
      await r.driver.moveLeader(this.target);
      return `from member ${from}`;
    });
  }
  toString(): string {
    return `MoveLeader(${this.target})`;
  }
}

/** The command generators. Bursts above 1,000 revisions are common: a stalled watcher then gets etcd's backlog in chunks. */
export function commandArbitraries(): fc.Arbitrary<ModelCommand>[] {
  const start = fc.integer({ min: 0, max: KEY_SPACE - 1 });
  const count = fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: 1, max: 300 }) },
    { weight: 2, arbitrary: fc.integer({ min: 1000, max: 3000 }) },
  );
  const valueSize = fc.oneof(fc.integer({ min: 8, max: 64 }), fc.integer({ min: 300, max: 600 }));
  return [
    fc.tuple(start, count, valueSize, fc.boolean()).map(([s, c, v, b]) => new PutBurst(s, c, v, b)),
    fc.tuple(fc.integer({ min: 1, max: 100 }), fc.boolean()).map(([p, b]) => new DeleteBurst(p, b)),
    fc.tuple(fc.integer({ min: 200, max: 6000 }), start, count, valueSize).map(([ms, s, c, v]) => new StallDuringBurst(ms, s, c, v)),
    fc.constant(new Compact()),
    fc.constantFrom<'leader' | number>('leader', 0, 1, 2).map((t) => new KillMember(t)),
    fc.constant(new RestartMember()),
    fc.integer({ min: 0, max: 2 }).map((t) => new MoveLeader(t)),
  ];
}

/**
 * The sequence every short run starts with: a watcher stalled 6 s while 2,500 single puts of
 * 500 B are written under its prefix (etcd then sends the backlog in responses of at most
 * 1,000 revisions, each headed by the store's current revision), then a compaction and deletes.
 */
export function stallOverBacklogExample(): ModelCommand[] {
  return [new PutBurst(0, 100, 32, true), new StallDuringBurst(6000, 100, 2500, 500), new Compact(), new DeleteBurst(50, false)];
}

// --- the check --------------------------------------------------------------------------------------

/** Keys and values that differ between `watcher` and `etcd`, summarised (counts and a few examples). */
export function describeDiff(watcher: Record<string, string>, etcd: Map<string, string>): string | undefined {
  const missing: string[] = [];
  const extra: string[] = [];
  const changed: string[] = [];
  for (const [k, v] of etcd) {
    if (!(k in watcher)) missing.push(k);
    else if (watcher[k] !== v) changed.push(k);
  }
  for (const k of Object.keys(watcher)) if (!etcd.has(k)) extra.push(k);
  if (missing.length + extra.length + changed.length === 0) return undefined;
  const few = (ks: string[]) => ks.sort().slice(0, 5).join(', ') + (ks.length > 5 ? ', ...' : '');
  return [
    `watcher holds ${Object.keys(watcher).length} keys, etcd ${etcd.size}`,
    missing.length ? `${missing.length} missing (${few(missing)})` : '',
    extra.length ? `${extra.length} extra (${few(extra)})` : '',
    changed.length ? `${changed.length} with another value (${few(changed)})` : '',
  ]
    .filter(Boolean)
    .join('; ');
}

/** How long the watcher may take, after a command, to say it is live at etcd's revision. */
const CATCH_UP_MS = 20_000;
/** A map that differs is looked at again after this, at the same revision, before it counts (a delivery in flight). */
const RECHECK_MS = 300;

/**
 * After a command: etcd equals the model; then the watcher is live at revision >= etcd's with a
 * map equal to etcd's range at the revision it reports, or (unless `final`) not live. Returns a
 * line for the log; throws what broke.
 */
export async function checkWatch(m: Model, r: Real, final: boolean): Promise<string> {
  const now = await r.driver.readNow(r.prefix);
  const modelDiff = describeDiff(Object.fromEntries(m.keys), now.map);
  if (modelDiff) throw new Error(`etcd does not hold what the test wrote (a test bug?): in-test model vs etcd: ${modelDiff}`);
  const target = now.revision;
  const t0 = Date.now();
  let lastSeen = '';
  let earlierMismatch: { revision: number; diff: string } | undefined;
  for (;;) {
    const status = await r.watcher.state(false);
    lastSeen = `live ${status.live} at revision ${status.revision} (etcd at ${target})`;
    if (status.live && status.revision >= target) {
      const snap = await r.watcher.state(true);
      if (snap.live && snap.revision >= target) {
        const atRevision = await r.driver.readAt(r.prefix, snap.revision);
        const diff = describeDiff(snap.map ?? {}, atRevision);
        if (!diff) return `watcher exact at revision ${snap.revision}, ${snap.size} keys, after ${Date.now() - t0} ms`;
        if (earlierMismatch?.revision === snap.revision)
          throw new Error(
            `the watcher says it is live at revision ${snap.revision} (etcd at ${target} after the command), ` +
              `but its map is not etcd's range at that revision: ${diff}`,
          );
        earlierMismatch = { revision: snap.revision, diff };
        await sleep(RECHECK_MS);
        continue;
      }
    }
    if (Date.now() - t0 > CATCH_UP_MS) {
      if (status.live)
        throw new Error(`the watcher says it is live but has not reached etcd's revision after ${CATCH_UP_MS} ms: ${lastSeen}`);
      if (final) throw new Error(`the watcher is not live ${CATCH_UP_MS} ms after the sequence ended: ${lastSeen}`);
      r.notLive++;
      return `watcher not live after ${CATCH_UP_MS} ms (tolerated between commands): ${lastSeen}`;
    }
    await sleep(50);
  }
}

// --- one run ------------------------------------------------------------------------------------------

export interface RunContext {
  cluster: EtcdCluster;
  driver: EtcdDriver;
  watcher: WatcherProcess;
  /** Gets each run's log, line by line. */
  report(lines: string[], failed: boolean): void;
}

/**
 * The property: on a fresh prefix, a fresh watch, the commands, then (every member running) the
 * watcher live and exact. The prefix of the previous run is deleted first.
 */
export function modelProperty(ctx: RunContext, maxCommands: number, replayPath?: string) {
  let run = 0;
  let previousPrefix: string | undefined;
  return fc.asyncProperty(fc.commands(commandArbitraries(), { maxCommands, size: 'max', replayPath }), async (cmds) => {
    run++;
    const prefix = `/model-watch/r${run}-${Date.now().toString(36)}/`;
    const real: Real = { driver: ctx.driver, watcher: ctx.watcher, prefix, log: [], ran: [], notLive: 0, started: Date.now() };
    const model: Model = { keys: new Map(), step: 0 };
    let failed = true;
    try {
      await ctx.cluster.startAll();
      if (previousPrefix) await ctx.driver.client.delete().prefix(previousPrefix).exec();
      previousPrefix = prefix;
      await ctx.watcher.request({ cmd: 'watch', endpoints: ctx.cluster.endpoints, prefix });
      await fc.asyncModelRun(() => ({ model, real }), cmds);
      if (model.down !== undefined) {
        await ctx.cluster.restart(model.down);
        real.log.push(`${String(Date.now() - real.started).padStart(6)} ms  (end) restarted member ${model.down}`);
        model.down = undefined;
      }
      real.log.push(`${String(Date.now() - real.started).padStart(6)} ms  (end) ${await checkWatch(model, real, true)}`);
      if (real.notLive) real.log.push(`(the watch was not live after ${real.notLive} of ${real.ran.length} commands)`);
      failed = false;
    } catch (e) {
      real.log.push(`${String(Date.now() - real.started).padStart(6)} ms  FAILED: ${(e as Error).message}`);
      throw e;
    } finally {
      ctx.report([`run ${run} on ${prefix}: ${real.ran.join(', ') || 'no command'}`, ...real.log], failed);
      await ctx.watcher.request({ cmd: 'unwatch' }).catch(() => undefined);
    }
  });
}
