import { Etcd3 } from 'etcd3';
import { createServer, Server, Socket } from 'net';
import { createEtcdClient } from '../../lib/core/etcd/etcd-client.factory';
import { hostSelectionOf } from '../../lib/core/etcd/host-selection';
import { resolveRegistryOptions } from '../../lib/core/options';
import { EtcdServer, startEtcd } from '../support/etcd-launcher';

/** A TCP server that accepts connections and never answers: a hung etcd member. */
async function hungServer(): Promise<{ endpoint: string; server: Server; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const addr = server.address();
  return { endpoint: `127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`, server, sockets };
}

/**
 * lib/core/etcd/host-selection.ts patches etcd3 1.1.2's ConnectionPool: it replaces the
 * instance's `shuffledHosts` generator, which `exec` (unary calls) and `withConnection` (streams)
 * walk to choose a host, and learns failures from the per-host fault policy. These tests fail
 * when etcd3 no longer chooses hosts that way (the patch then installs nothing).
 */
describe('host selection patched into etcd3 (real etcd and a hung member)', () => {
  let etcd: EtcdServer;
  let hung: Awaited<ReturnType<typeof hungServer>>;
  const clients: Etcd3[] = [];
  beforeAll(async () => {
    etcd = await startEtcd();
    hung = await hungServer();
  });
  afterEach(() => clients.splice(0).forEach((c) => c.close()));
  afterAll(async () => {
    for (const s of hung.sockets) s.destroy();
    await new Promise((r) => hung.server.close(r));
    await etcd.stop();
  });

  const client = () => {
    const c = createEtcdClient(resolveRegistryOptions({ endpoints: [hung.endpoint, ...etcd.endpoints], timeoutMs: 3000 }));
    clients.push(c);
    return c;
  };

  it('installs on etcd3 1.1.2: the pool has the shape it relies on', () => {
    const c = client();
    const pool = (c as unknown as { pool: { shuffledHosts: unknown } }).pool;
    expect(hostSelectionOf(c)).toBeDefined();
    expect(hostSelectionOf(pool)).toBe(hostSelectionOf(c));
    // etcd3's own generator lives on the prototype; ours on the instance.
    expect(Object.prototype.hasOwnProperty.call(pool, 'shuffledHosts')).toBe(true);
  });

  it('an avoided member gets no call: 30 status calls all answered by the healthy one, each fast', async () => {
    const c = client();
    hostSelectionOf(c)!.failed(hung.endpoint);
    const times: number[] = [];
    for (let i = 0; i < 30; i++) {
      const started = Date.now();
      await c.maintenance.status();
      times.push(Date.now() - started);
    }
    expect(Math.max(...times)).toBeLessThan(1000);
  });

  it('a call that dies by its own deadline on the hung member makes the selection avoid it', async () => {
    const c = client();
    const selection = hostSelectionOf(c)!;
    // Until a call lands on the hung member (a shuffle: about one in two here), each with a short deadline.
    for (let i = 0; i < 40 && !selection.isAvoided(hung.endpoint); i++) {
      await c.maintenance.status({ deadline: new Date(Date.now() + 200) }).catch(() => undefined);
    }
    expect(selection.isAvoided(hung.endpoint)).toBe(true);
    expect(selection.isAvoided(etcd.endpoints[0])).toBe(false);
  });
});
