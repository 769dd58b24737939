import { ChildProcess, spawn } from 'child_process';
import { join } from 'path';
import { EtcdServer, useEtcd } from '../support/etcd-launcher';
import { RegistryPool, uniquePrefix } from '../support/registry-fixtures';
import { WatchRecorder } from '../support/watch-recorder';
import { freshRead } from '../support/registry-probe';
import { waitFor } from '../support/wait-for';

const CHILD = join(__dirname, '..', 'support', 'child-registry.ts');
const TS_NODE = require.resolve('ts-node/dist/bin.js');

function startChild(env: Record<string, string>): { child: ChildProcess; ready: Promise<void>; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [TS_NODE, '--transpile-only', CHILD], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => c.toString().includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before ready: ${stderr}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, ready, exited };
}

describe('process lifecycle (real etcd, child processes)', () => {
  let etcd: EtcdServer;
  const pool = new RegistryPool();
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    etcd = await useEtcd();
  });
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await pool.closeAll();
  });
  afterAll(() => etcd.stop());

  it('a process that registers, watches and closes exits by itself, its key gone', async () => {
    const prefix = uniquePrefix();
    const { child, ready, exited } = startChild({
      ETCD_ENDPOINTS: etcd.endpoints.join(','),
      REGISTER_PATH: `${prefix}svc/child`,
      WATCH_PREFIX: prefix,
      MODE: 'close',
    });
    children.push(child);
    await ready;
    const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 10_000))]);
    expect(code).toBe(0);
    const client = pool.client(etcd.endpoints);
    expect(await freshRead(client, prefix)).toEqual({});
  });

  it('a process killed with SIGKILL disappears from other watchers once its lease expires', async () => {
    const prefix = uniquePrefix();
    const watcherRegistry = await pool.create(etcd.endpoints);
    const rec = new WatchRecorder();
    await watcherRegistry.addWatch(prefix, rec.handler);
    const { child, ready, exited } = startChild({
      ETCD_ENDPOINTS: etcd.endpoints.join(','),
      REGISTER_PATH: `${prefix}svc/child`,
      TTL_SECONDS: '2',
      MODE: 'wait',
    });
    children.push(child);
    await ready;
    await waitFor(() => rec.last?.[`${prefix}svc/child`] === 'child', { message: 'child seen by the watcher' });
    child.kill('SIGKILL');
    await exited;
    const killedAt = Date.now();
    await waitFor(() => rec.last && !(`${prefix}svc/child` in rec.last), { timeoutMs: 10_000, message: 'child gone after TTL' });
    const goneAfterMs = Date.now() - killedAt;
    // Not before the lease could have expired (etcd may round the TTL up), not long after it.
    expect(goneAfterMs).toBeGreaterThan(500);
    expect(goneAfterMs).toBeLessThan(2000 + 3000);
  });
});
