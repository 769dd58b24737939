import { Etcd3 } from 'etcd3';
import { request } from 'http';
import { createRegistry, Registry } from '../../lib/core';
import { EtcdBinaryNotFoundError, EtcdTestServer, EtcdTestServerError, findEtcdBinary } from '../../lib/testing/etcd';
import { waitFor } from '../support/wait-for';

jest.setTimeout(90_000);

/** A get through `client` that gives up after `ms`: 'ok', or 'failed' when it errs or hangs. */
function getWithin(client: Etcd3, key: string, ms: number): Promise<'ok' | 'failed'> {
  return Promise.race([
    client
      .get(key)
      .options({ deadline: new Date(Date.now() + ms) })
      .string()
      .then(
        () => 'ok' as const,
        () => 'failed' as const,
      ),
    new Promise<'failed'>((r) => setTimeout(() => r('failed'), ms + 200)),
  ]);
}

/** POST to etcd's JSON gateway; resolves with the status code and the parsed body. */
function gateway(endpoint: string, path: string, body: object, token?: string): Promise<{ status: number; json: any }> {
  const [host, port] = endpoint.split(':');
  return new Promise((resolve, reject) => {
    const req = request(
      { host, port: Number(port), method: 'POST', path, timeout: 5000, headers: token ? { Authorization: token } : {} },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text || '{}') }));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('EtcdTestServer: a missing etcd binary', () => {
  const saved = { PATH: process.env.PATH, ETCD_BIN: process.env.ETCD_BIN };
  afterEach(() => {
    process.env.PATH = saved.PATH;
    if (saved.ETCD_BIN === undefined) delete process.env.ETCD_BIN;
    else process.env.ETCD_BIN = saved.ETCD_BIN;
  });

  it('is an error naming ETCD_BIN, PATH and how to install etcd, before any etcd starts', async () => {
    delete process.env.ETCD_BIN;
    process.env.PATH = '/nonexistent-dir';
    const started = EtcdTestServer.start();
    await expect(started).rejects.toBeInstanceOf(EtcdBinaryNotFoundError);
    await expect(started).rejects.toThrow(/ETCD_BIN.*PATH/s);
    await expect(started).rejects.toThrow(/apt-get install etcd-server/);
    await expect(started).rejects.toThrow(/github\.com\/etcd-io\/etcd\/releases/);
  });

  it('names a wrong ETCD_BIN', () => {
    process.env.ETCD_BIN = '/nonexistent-dir/etcd';
    expect(() => findEtcdBinary()).toThrow(/ETCD_BIN=\/nonexistent-dir\/etcd is not an executable file/);
  });
});

describe('EtcdTestServer.start({ members: 3 }): process and link faults', () => {
  let etcd: EtcdTestServer;
  const registries: Registry[] = [];

  beforeAll(async () => {
    etcd = await EtcdTestServer.start({ members: 3 });
  });
  afterEach(async () => {
    etcd.heal();
    await Promise.all(registries.splice(0).map((r) => r.close()));
  });
  afterAll(() => etcd?.stop());

  it('gives proxied endpoints, one per member, besides the direct ones', () => {
    expect(etcd.size).toBe(3);
    expect(etcd.endpoints).toHaveLength(3);
    expect(etcd.directEndpoints).toHaveLength(3);
    expect(etcd.endpoints.filter((e) => etcd.directEndpoints.includes(e))).toEqual([]);
    expect(etcd.ownsProcesses).toBe(true);
  });

  it("kills the leader: another member leads, a registry on the kit's endpoints goes on; restart brings the member back with its data", async () => {
    const registry = createRegistry({ endpoints: etcd.endpoints, ttlSeconds: 3, timeoutMs: 5000 });
    registries.push(registry);
    await registry.register('/kit/leader/a', 'A');
    const killed = await etcd.kill('leader');
    expect(etcd.running(killed)).toBe(false);
    const next = await etcd.leader();
    expect(next).not.toBe(killed);
    await registry.register('/kit/leader/b', 'B');
    await etcd.restart(killed);
    expect(etcd.running(killed)).toBe(true);
    const only = new Etcd3({ hosts: [etcd.directEndpoints[killed]] });
    try {
      await waitFor(async () => (await only.get('/kit/leader/b').string()) === 'B', {
        message: 'the restarted member to serve the new key',
      });
      expect(await only.get('/kit/leader/a').string()).toBe('A');
    } finally {
      only.close();
    }
  });

  it('pauses a member (it answers nothing) and resumes it', async () => {
    const target = ((await etcd.leader()) + 1) % 3;
    const direct = new Etcd3({ hosts: [etcd.directEndpoints[target]] });
    try {
      await etcd.pause(target);
      expect(await getWithin(direct, '/kit/pause', 500)).toBe('failed');
      await etcd.resume(target);
      await waitFor(async () => (await getWithin(direct, '/kit/pause', 1000)) === 'ok', { message: 'the resumed member to answer' });
    } finally {
      direct.close();
    }
  });

  it("blackholes and delays one member's link for clients on `endpoints`, while client() goes around it", async () => {
    const proxied = new Etcd3({ hosts: [etcd.endpoints[0]] });
    const direct = etcd.client();
    try {
      expect(await getWithin(proxied, '/kit/link', 2000)).toBe('ok');
      await etcd.blackhole(0);
      expect(await getWithin(proxied, '/kit/link', 700)).toBe('failed');
      expect(await getWithin(direct, '/kit/link', 2000)).toBe('ok');
      etcd.heal(0);
      await waitFor(async () => (await getWithin(proxied, '/kit/link', 1000)) === 'ok', { message: 'the healed link to answer' });
      await etcd.delay(0, 300);
      const t0 = Date.now();
      expect(await getWithin(proxied, '/kit/link', 5000)).toBe('ok');
      expect(Date.now() - t0).toBeGreaterThanOrEqual(550); // 300 ms each way
    } finally {
      proxied.close();
    }
  });

  it('names a member that does not exist', async () => {
    await expect(etcd.kill(3)).rejects.toThrow(/member 3 does not exist: members are 0 to 2/);
  });
});

describe('EtcdTestServer.start({ rootPassword }) and attach(): compaction, leases, auth tokens', () => {
  let etcd: EtcdTestServer;

  beforeAll(async () => {
    etcd = await EtcdTestServer.start({ rootPassword: 'root-pw' });
    const c = etcd.client();
    await c.user('app').create('app-pw');
  });
  afterAll(() => etcd?.stop());

  it('compacts to the current revision: an older revision can no longer be read', async () => {
    const c = etcd.client();
    const first = await c.put('/kit/compact').value('1').exec();
    await c.put('/kit/compact').value('2').exec();
    expect(await c.get('/kit/compact').revision(first.header.revision).string()).toBe('1');
    const revision = await etcd.compact();
    expect(revision).toBeGreaterThan(Number(first.header.revision));
    await expect(c.get('/kit/compact').revision(first.header.revision).string()).rejects.toThrow(/compacted/);
  });

  it("revokes a lease: its keys go and its holder's keep-alive sees it lost", async () => {
    const c = etcd.client();
    const lease = c.lease(30, { autoKeepAlive: false });
    await lease.put('/kit/lease').value('x').exec();
    const id = await lease.grant();
    await etcd.revokeLease(id);
    expect(await c.get('/kit/lease').string()).toBeNull();
    await expect(lease.keepaliveOnce()).rejects.toThrow(/expired or revoked/);
  });

  it("expires every auth token: an old token is refused, a client's next call authenticates again", async () => {
    const direct = etcd.directEndpoints[0];
    const auth = await gateway(direct, '/v3/auth/authenticate', { name: 'root', password: 'root-pw' });
    const token = auth.json.token as string;
    expect(token).toEqual(expect.any(String));
    const range = () => gateway(direct, '/v3/kv/range', { key: b64('/kit/token') }, token);
    expect((await range()).status).toBe(200);
    const app = etcd.client();
    await app.put('/kit/token').value('before').exec();

    await etcd.expireAuthTokens();

    const refused = await range();
    expect(refused.status).not.toBe(200);
    expect(JSON.stringify(refused.json)).toMatch(/invalid auth token/);
    await app.put('/kit/token').value('after').exec();
    expect(await app.get('/kit/token').string()).toBe('after');
    // Auth is on again: a call with no credentials is refused.
    const anonymous = new Etcd3({ hosts: [direct] });
    try {
      await expect(anonymous.get('/kit/token').string()).rejects.toThrow(/user name is empty|permission denied/i);
    } finally {
      anonymous.close();
    }
  });

  it('attach(): link faults, compaction and token expiry work on given endpoints; process faults are a clear error; stop() leaves etcd running', async () => {
    const attached = await EtcdTestServer.attach({ endpoints: etcd.directEndpoints, auth: { username: 'root', password: 'root-pw' } });
    try {
      expect(attached.ownsProcesses).toBe(false);
      expect(await attached.leader()).toBe(0);
      await expect(attached.kill('leader')).rejects.toBeInstanceOf(EtcdTestServerError);
      await expect(attached.pause(0)).rejects.toThrow(/pause\(\) needs an etcd this process started.*attached to/);
      await expect(attached.restart(0)).rejects.toThrow(/restart\(\) needs an etcd this process started/);
      const proxied = new Etcd3({ hosts: attached.endpoints, auth: { username: 'root', password: 'root-pw' } });
      try {
        expect(await getWithin(proxied, '/kit/attach', 2000)).toBe('ok');
        await attached.blackhole(0);
        expect(await getWithin(proxied, '/kit/attach', 700)).toBe('failed');
        attached.heal();
        await waitFor(async () => (await getWithin(proxied, '/kit/attach', 1000)) === 'ok', { message: 'the healed attached link' });
      } finally {
        proxied.close();
      }
      expect(await attached.compact()).toBeGreaterThan(0);
      await attached.expireAuthTokens();
    } finally {
      await attached.stop();
    }
    expect(await etcd.client().get('/kit/token').string()).toBe('after');
  });
});
