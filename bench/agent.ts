/**
 * A benchmark child process: holds registries and watchers of any design and answers the
 * parent's commands over IPC. Timestamps are `process.hrtime.bigint()` (CLOCK_MONOTONIC, shared by
 * every process on the machine), sent as strings of nanoseconds.
 */
import { readFileSync, writeFileSync } from 'fs';
import { Session } from 'inspector';
import { BenchClient, BenchClientOptions, BenchMap, ImplName, mapHas, mapSize } from './bench-client.interface';
import { OursClient, loadCreateRegistry } from './ours';
import { RawEtcd3Client } from './raw-etcd3';
import { RawH2Client } from './raw-h2';
import { RawTxnClient } from './raw-txn';
import { SeedDesignClient } from './seed-design';

interface WatchState {
  map?: BenchMap;
  /** Kept from the change set when the design gives one (O(change)); else counted on demand. */
  size?: number;
  deliveries: number;
  handlerCalls: number;
  lastAt: bigint;
}

interface Expectation {
  id: number;
  watchId: string;
  kind: 'has' | 'missing' | 'size';
  key?: string;
  size?: number;
}

const clients = new Map<string, BenchClient>();
const watches = new Map<string, WatchState>();
let expectations: Expectation[] = [];
let session: Session | undefined;

const now = () => process.hrtime.bigint();
const send = (msg: unknown) => process.send?.(msg);

function met(e: Expectation, at: bigint): void {
  expectations = expectations.filter((x) => x !== e);
  send({ event: 'met', expectId: e.id, at: at.toString() });
}

function checkKeyExpectations(watchId: string, state: WatchState, at: bigint): void {
  if (expectations.length === 0 || !state.map) return;
  for (const e of expectations) {
    if (e.watchId !== watchId || e.kind === 'size') continue;
    const has = mapHas(state.map, e.key!);
    if ((e.kind === 'has') === has) met(e, at);
  }
}

// Size checks are O(N), so they run on a timer, outside the handlers being measured; the time
// reported is that of the delivery that made the map exact.
const sizeTimer = setInterval(() => {
  for (const e of expectations) {
    if (e.kind !== 'size') continue;
    const state = watches.get(e.watchId);
    if (state?.map && (state.size ?? mapSize(state.map)) === e.size) met(e, state.lastAt);
  }
}, 10);
sizeTimer.unref();

async function open(a: { clientId: string; impl: ImplName } & BenchClientOptions): Promise<void> {
  const options: BenchClientOptions = { endpoints: a.endpoints, ttlSeconds: a.ttlSeconds, antiEntropyIntervalMs: a.antiEntropyIntervalMs };
  const client: BenchClient =
    a.impl === 'raw'
      ? new RawEtcd3Client(options)
      : a.impl === 'rawtxn'
        ? new RawTxnClient(options)
        : a.impl === 'h2'
          ? new RawH2Client(options)
          : a.impl === 'seed'
            ? new SeedDesignClient(options)
            : await new OursClient(options).open();
  clients.set(a.clientId, client);
}

function client(id: string): BenchClient {
  const c = clients.get(id);
  if (!c) throw new Error(`no client ${id}`);
  return c;
}

async function timed(fn: () => Promise<void>): Promise<{ t0: string; t1: string }> {
  const t0 = now();
  await fn();
  return { t0: t0.toString(), t1: now().toString() };
}

function vmHwmKb(): number {
  const m = /VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) : NaN;
}

function stats() {
  const out: Record<string, { deliveries: number; handlerCalls: number; size: number }> = {};
  for (const [id, w] of watches)
    out[id] = { deliveries: w.deliveries, handlerCalls: w.handlerCalls, size: w.size ?? (w.map ? mapSize(w.map) : 0) };
  return { cpu: process.cpuUsage(), mem: process.memoryUsage(), hwmKb: vmHwmKb(), watches: out };
}

const ops: Record<string, (a: any) => unknown> = {
  open,
  register: (a: { clientId: string; key: string; value: string }) => timed(() => client(a.clientId).register(a.key, a.value)),
  unregister: (a: { clientId: string; key: string }) => timed(() => client(a.clientId).unregister(a.key)),
  close: async (a: { clientId: string }) => {
    const r = await timed(() => client(a.clientId).close());
    clients.delete(a.clientId);
    return r;
  },
  /** Every client registers `keysPerClient` keys one after another, all clients at once. */
  burst: async (a: { clientIds: string[]; keysPerClient: number; prefix: string; value: string }) => {
    const t0 = now();
    let failures = 0;
    let lastError = '';
    await Promise.all(
      a.clientIds.map(async (id) => {
        for (let i = 0; i < a.keysPerClient; i++) {
          await client(id)
            .register(`${a.prefix}${id}-${i}`, a.value)
            .catch((e: unknown) => {
              failures++;
              lastError = e instanceof Error ? e.message : String(e);
            });
        }
      }),
    );
    return { t0: t0.toString(), t1: now().toString(), failures, lastError };
  },
  /** Adds `handlers` handlers on `prefix` through one client; the last one added tracks the map. */
  watch: async (a: { clientId: string; watchId: string; prefix: string; handlers?: number }) => {
    const state: WatchState = { deliveries: 0, handlerCalls: 0, lastAt: 0n };
    watches.set(a.watchId, state);
    const c = client(a.clientId);
    for (let i = 1; i < (a.handlers ?? 1); i++) {
      await c.watch(a.prefix, () => {
        state.handlerCalls++;
      });
    }
    await c.watch(a.prefix, (map, changes) => {
      const at = now();
      state.map = map;
      state.size = changes ? (state.size ?? 0) + changes.added.length - changes.removed.length : undefined;
      state.deliveries++;
      state.handlerCalls++;
      state.lastAt = at;
      checkKeyExpectations(a.watchId, state, at);
    });
  },
  expect: (a: Omit<Expectation, 'id'> & { expectId: number }) => {
    const e: Expectation = { id: a.expectId, watchId: a.watchId, kind: a.kind, key: a.key, size: a.size };
    expectations.push(e);
    const state = watches.get(a.watchId);
    if (state && e.kind !== 'size') checkKeyExpectations(a.watchId, state, state.lastAt);
  },
  stats,
  /**
   * Full GCs and pauses until RSS has settled: V8 hands freed pages back to the system with a delay,
   * and after a large transient peak (the first read of 100,000 keys) how much of it is back by a
   * fixed pause varies from run to run. Settled: RSS moved by less than 0.25 MB over a pause (at most
   * 10 pauses of 300 ms).
   */
  gc: async () => {
    const g = (global as { gc?: () => void }).gc;
    let previous = Infinity;
    for (let i = 0; i < 10; i++) {
      g?.();
      g?.();
      await new Promise((resolve) => setTimeout(resolve, 300));
      const rss = process.memoryUsage.rss();
      if (Math.abs(previous - rss) < 0.25 * 1024 * 1024) break;
      previous = rss;
    }
    g?.();
    return stats();
  },
  profileStart: async () => {
    session = new Session();
    session.connect();
    const post = (m: string, p?: object) => new Promise<void>((res, rej) => session!.post(m, p ?? {}, (err) => (err ? rej(err) : res())));
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: 200 });
    await post('Profiler.start');
  },
  profileStop: async (a: { file: string }) =>
    new Promise<void>((res, rej) =>
      session!.post('Profiler.stop', (err, result) => {
        if (err) return rej(err);
        writeFileSync(a.file, JSON.stringify(result.profile));
        session!.disconnect();
        res();
      }),
    ),
};

process.on('message', (msg: { id: number; op: string; args: unknown }) => {
  const op = ops[msg.op];
  Promise.resolve()
    .then(() => {
      if (!op) throw new Error(`unknown op ${msg.op}`);
      return op(msg.args);
    })
    .then(
      (result) => send({ id: msg.id, ok: true, result }),
      (err: unknown) => send({ id: msg.id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
    );
});
process.on('disconnect', () => process.exit(0));
process.on('unhandledRejection', () => undefined);
// Every design's code is loaded before anything is measured, so a memory baseline taken after
// 'open' is the same process for all of them (a first require of lib/core would otherwise grow
// the heap during the baseline and shrink it later).
loadCreateRegistry();
send({ event: 'ready', pid: process.pid });
