import { Etcd3, ITxnRequest } from 'etcd3';
import { directTxn } from '../../lib/core/etcd/direct-txn';
import { readKeysRequest } from '../../lib/core/lease/txn-requests';
import { EtcdServer, startEtcd } from '../support/etcd-launcher';
import { freePort } from '../support/free-port';
import { uniquePrefix } from '../support/registry-fixtures';

/** The keeper's transactions sent straight on etcd3's per-host gRPC client (lib/core/etcd/direct-txn.ts), on a real etcd. */
describe('direct transactions (real etcd)', () => {
  let etcd: EtcdServer;
  const clients: Etcd3[] = [];
  beforeAll(async () => {
    etcd = await startEtcd();
  });
  afterEach(() => clients.splice(0).forEach((c) => c.close()));
  afterAll(() => etcd.stop());

  const client = (hosts: string[], extra: object = {}) => {
    const c = new Etcd3({ hosts: hosts.map((h) => `http://${h}`), ...extra });
    clients.push(c);
    return c;
  };
  const putRequest = (key: string, value: string): ITxnRequest => ({
    compare: [],
    success: [{ request_put: { key: Buffer.from(key), value: Buffer.from(value) } }],
    failure: [],
  });
  /** Which host each call of `send` used, by index in etcd3's host list. */
  const recordHosts = (c: Etcd3) => {
    const used: number[] = [];
    const hosts = (c as unknown as { pool: { hosts: { getServiceClient(name: string): unknown }[] } }).pool.hosts;
    hosts.forEach((host, i) => {
      const get = host.getServiceClient.bind(host);
      host.getServiceClient = (name: string) => (used.push(i), get(name));
    });
    return used;
  };

  it('writes and reads through the host client, with etcd3 error classes and no fallback needed', async () => {
    const c = client(etcd.endpoints);
    const send = directTxn(c.namespace(''))!;
    expect(send).toBeDefined();
    const key = `${uniquePrefix()}a`;
    const res = await send(putRequest(key, 'v1'));
    expect(res.succeeded).toBe(true);
    expect(await c.get(key).string()).toBe('v1');
    const read = await send(readKeysRequest([Buffer.from(key)]));
    expect(read.responses[0].response_range?.kvs[0].value.toString()).toBe('v1');
    // A refusal of etcd arrives as etcd3's error, as on etcd3's own path (here: a put under a lease that does not exist).
    const bad: ITxnRequest = {
      compare: [],
      success: [{ request_put: { key: Buffer.from(key), value: Buffer.from('x'), lease: '12345' } }],
      failure: [],
    };
    await expect(send(bad)).rejects.toThrow(/requested lease not found/);
  });

  it('moves on to the next host after a transient failure, and stays on the one that answers', async () => {
    const dead = `127.0.0.1:${await freePort()}`;
    const c = client([dead, etcd.endpoints[0]]);
    const used = recordHosts(c);
    // Start on the dead host (the first host is drawn at random).
    const random = jest.spyOn(Math, 'random').mockReturnValue(0);
    const send = directTxn(c.namespace(''))!;
    random.mockRestore();
    const prefix = uniquePrefix();
    let failures = 0;
    for (let i = 0; i < 6; i++) {
      await send(putRequest(`${prefix}${i}`, 'v'), { deadline: Date.now() + 3000 }).catch(() => failures++);
    }
    // The first call went to the dead host and failed; every later one went to the live one.
    expect(failures).toBe(1);
    expect(used).toEqual([0, 1, 1, 1, 1, 1]);
    expect((await c.getAll().prefix(prefix).keys()).length).toBe(5);
  });

  it('sends a call made while another is in flight to another host (the runner second attempt)', async () => {
    // Two names of the same member: two hosts for etcd3.
    const port = etcd.endpoints[0].split(':')[1];
    const c = client([`127.0.0.1:${port}`, `localhost:${port}`]);
    const used = recordHosts(c);
    const send = directTxn(c.namespace(''))!;
    const prefix = uniquePrefix();
    await Promise.all([send(putRequest(`${prefix}a`, 'v')), send(putRequest(`${prefix}b`, 'v'))]);
    expect(new Set(used).size).toBe(2);
  });

  it("leaves etcd3's path in place when auth is on (etcd3 holds the token)", () => {
    const c = client(etcd.endpoints, { auth: { username: 'u', password: 'p' } });
    expect(directTxn(c.namespace(''))).toBeUndefined();
  });
});
