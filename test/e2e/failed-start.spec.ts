import { ChildProcess, spawn } from 'child_process';
import { createServer, Server } from 'net';
import { join } from 'path';
import { EtcdServer, useEtcd } from '../support/etcd-launcher';
import { freePort } from '../support/free-port';
import { RegistryPool, uniquePrefix } from '../support/registry-fixtures';
import { freshRead } from '../support/registry-probe';
import { WatchRecorder } from '../support/watch-recorder';
import { waitFor } from '../support/wait-for';

jest.setTimeout(60_000);

const CHILD = join(__dirname, '..', 'support', 'child-nest-app.ts');
const TS_NODE = require.resolve('ts-node/dist/bin.js');
/** The child's timeoutMs (2000) plus room for a loaded machine: a failed start must end within it. */
const EXIT_BOUND_MS = 2000 + 2000;

interface Child {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the first line matching. */
  line: (pattern: RegExp) => Promise<{ text: string; at: number }>;
  exited: Promise<{ code: number | null; at: number }>;
}

function startApp(env: Record<string, string>): Child {
  const child = spawn(process.execPath, [TS_NODE, '--transpile-only', CHILD], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const waiting: { pattern: RegExp; resolve: (v: { text: string; at: number }) => void }[] = [];
  const scan = () => {
    for (const w of [...waiting]) {
      const m = out.match(w.pattern);
      if (m) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve({ text: m[0], at: Date.now() });
      }
    }
  };
  child.stdout.on('data', (c) => ((out += c), scan()));
  child.stderr.on('data', (c) => (out += c));
  const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
    child.once('exit', (code) => resolve({ code, at: Date.now() })),
  );
  return {
    child,
    output: () => out,
    line: (pattern) =>
      new Promise((resolve, reject) => {
        waiting.push({ pattern, resolve });
        scan();
        void exited.then(() => setTimeout(() => reject(new Error(`child exited without ${pattern}: ${out}`)), 50));
      }),
    exited,
  };
}

/** Resolves with the exit, or 'still running' after `ms`. */
const exitWithin = (c: Child, ms: number) =>
  Promise.race([c.exited, new Promise<'still running'>((r) => setTimeout(() => r('still running'), ms).unref())]);

describe('a failed start leaves nothing behind (real Nest apps in child processes, real etcd)', () => {
  let etcd: EtcdServer;
  const pool = new RegistryPool();
  const children: ChildProcess[] = [];
  const servers: Server[] = [];

  beforeAll(async () => {
    etcd = await useEtcd();
  });
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const s of servers.splice(0)) s.close();
    await pool.closeAll();
  });
  afterAll(() => etcd.stop());

  /** An independent watcher on `prefix`: every map it ever saw is kept. */
  async function observe(prefix: string): Promise<WatchRecorder> {
    const recorder = new WatchRecorder();
    await (await pool.create(etcd.endpoints)).addWatch(prefix, recorder.handler);
    return recorder;
  }

  function app(env: Record<string, string>): Child {
    const c = startApp({ ETCD_ENDPOINTS: etcd.endpoints.join(','), ...env });
    children.push(c.child);
    return c;
  }

  /** The start failed, the process ended by itself within the bound, with exit code 1. */
  async function expectFailedStartExits(c: Child, errorName: RegExp): Promise<number> {
    const failed = await c.line(/start failed: \w+/);
    expect(failed.text).toMatch(errorName);
    const exit = await exitWithin(c, EXIT_BOUND_MS + 10_000);
    if (exit === 'still running')
      throw new Error(`the process still runs ${EXIT_BOUND_MS + 10_000} ms after its failed start:\n${c.output()}`);
    expect(exit.code).toBe(1);
    const afterFailureMs = exit.at - failed.at;
    expect(afterFailureMs).toBeLessThan(EXIT_BOUND_MS);
    return afterFailureMs;
  }

  it('a started app is registered once it listens, and deregistered on SIGTERM (the control case)', async () => {
    const prefix = uniquePrefix('ok');
    const port = await freePort();
    const key = `${prefix}app/ok1`;
    const seen = await observe(prefix);
    const c = app({ PREFIX: prefix, SERVICE_ID: 'ok1', PORT: String(port), WATCH_PREFIX: prefix });
    await c.line(/listening/);
    await waitFor(() => seen.last?.[key] === `127.0.0.1:${port}`, { message: 'the key, once listening' });
    c.child.kill('SIGTERM');
    const exit = await exitWithin(c, 10_000);
    expect(exit).not.toBe('still running');
    await waitFor(() => seen.last && !(key in seen.last), { message: 'the key gone after SIGTERM' });
  });

  it('port already in use: listen fails, the key never appears, the process exits by itself', async () => {
    const prefix = uniquePrefix('inuse');
    const port = await freePort();
    const taken = createServer();
    servers.push(taken);
    await new Promise<void>((r) => taken.listen(port, '127.0.0.1', r));
    const key = `${prefix}app/inuse1`;
    const seen = await observe(prefix);
    const c = app({ PREFIX: prefix, SERVICE_ID: 'inuse1', PORT: String(port), WATCH_PREFIX: prefix });
    const ms = await expectFailedStartExits(c, /Error/);
    console.log(`port in use: exited ${ms} ms after listen failed`);
    expect(c.output()).toContain('EADDRINUSE');
    expect(seen.maps.filter((m) => key in m)).toEqual([]);
    expect(await freshRead(pool.client(etcd.endpoints), prefix)).toEqual({});
  });

  it.each([
    ['an HTTP app', {}],
    ['an application context', { CONTEXT: '1' }],
  ])("another provider's onApplicationBootstrap throws (%s): nothing in etcd, the process exits", async (_kind, extra) => {
    const prefix = uniquePrefix('boot');
    const key = `${prefix}app/boot1`;
    const seen = await observe(prefix);
    const c = app({
      PREFIX: prefix,
      SERVICE_ID: 'boot1',
      PORT: String(await freePort()),
      WATCH_PREFIX: prefix,
      FAIL_BOOTSTRAP: '1',
      ...extra,
    });
    const ms = await expectFailedStartExits(c, /Error/);
    console.log(`bootstrap throws (${_kind}): exited ${ms} ms after the failure`);
    expect(c.output()).not.toMatch(/\nmap \d/); // the handler never got a map: nothing was opened
    expect(seen.maps.filter((m) => key in m)).toEqual([]);
    expect(await freshRead(pool.client(etcd.endpoints), prefix)).toEqual({});
  });

  it.each([
    ['an HTTP app', {}],
    ['an application context', { CONTEXT: '1' }],
  ])('ServiceConflictError at start (%s): the holder keeps its key, the process exits', async (_kind, extra) => {
    const prefix = uniquePrefix('conflict');
    const key = `${prefix}app/dup`;
    const holder = await pool.create(etcd.endpoints);
    await holder.register(key, 'the-holder');
    const seen = await observe(prefix);
    const port = await freePort();
    const c = app({ PREFIX: prefix, SERVICE_ID: 'dup', PORT: String(port), WATCH_PREFIX: prefix, ...extra });
    const ms = await expectFailedStartExits(c, /ServiceConflictError/);
    console.log(`conflict (${_kind}): exited ${ms} ms after the refusal`);
    expect(seen.maps.every((m) => m[key] === 'the-holder')).toBe(true);
    expect(await freshRead(pool.client(etcd.endpoints), prefix)).toEqual({ [key]: 'the-holder' });
  });
});
