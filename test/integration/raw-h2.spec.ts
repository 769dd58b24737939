import { Etcd3 } from 'etcd3';
import { BenchMap, mapHas } from '../../bench/bench-client.interface';
import { RawH2Client } from '../../bench/raw-h2';
import { EtcdServer, startEtcd } from '../support/etcd-launcher';
import { waitFor } from '../support/wait-for';

// The benchmark's Node http2 floor (bench/raw-h2.ts: gRPC and etcd's messages by hand on Node's
// http2) against real etcd, checked with etcd3 as the other client.
jest.setTimeout(60_000);

describe('raw Node http2 floor against etcd', () => {
  let etcd: EtcdServer;
  let other: Etcd3;
  const clients: RawH2Client[] = [];
  const prefix = `/h2-${Date.now()}/`;

  beforeAll(async () => {
    etcd = await startEtcd();
    other = new Etcd3({ hosts: etcd.endpoints.map((e) => `http://${e}`) });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
  });
  afterAll(async () => {
    other?.close();
    await etcd?.stop();
  });

  const h2 = () => {
    const c = new RawH2Client({ endpoints: etcd.endpoints, ttlSeconds: 5 });
    clients.push(c);
    return c;
  };

  it('the watcher starts from the prefix as read, then follows a put and a delete made by another client', async () => {
    await other.put(`${prefix}w/before`).value('b');
    await other.put(`${prefix.slice(0, -1)}0`).value('just past the prefix');
    let latest: BenchMap | undefined;
    let calls = 0;
    await h2().watch(`${prefix}w/`, (map) => {
      latest = map;
      calls++;
    });
    expect(calls).toBe(1);
    expect([...(latest as Map<string, string>)]).toEqual([[`${prefix}w/before`, 'b']]);

    await other.put(`${prefix}w/é✓`).value('{"port":1} ✓');
    await waitFor(() => latest && mapHas(latest, `${prefix}w/é✓`), { message: 'the put reaches the h2 watcher' });
    expect((latest as Map<string, string>).get(`${prefix}w/é✓`)).toBe('{"port":1} ✓');
    await other.delete().key(`${prefix}w/before`);
    await waitFor(() => latest && !mapHas(latest, `${prefix}w/before`), { message: 'the delete reaches the h2 watcher' });
    expect([...(latest as Map<string, string>).keys()]).toEqual([`${prefix}w/é✓`]);
  });

  it('register puts the key under one lease kept alive; unregister deletes it; close revokes the lease', async () => {
    const writer = h2();
    await writer.register(`${prefix}r/a`, 'va');
    await writer.register(`${prefix}r/b`, 'vb');
    const a = await other.get(`${prefix}r/a`).exec();
    const b = await other.get(`${prefix}r/b`).exec();
    expect(a.kvs[0].value.toString()).toBe('va');
    const lease = a.kvs[0].lease;
    expect(lease).not.toBe('0');
    expect(b.kvs[0].lease).toBe(lease); // one lease for all keys

    // Kept alive: the lease's remaining TTL goes back up (a keep-alive every 5/3 s) before it runs out.
    let lowest = Infinity;
    await waitFor(
      async () => {
        const ttl = Number((await other.leaseClient.leaseTimeToLive({ ID: lease })).TTL);
        if (ttl > lowest) return true;
        lowest = Math.min(lowest, ttl);
        return false;
      },
      { timeoutMs: 5000, intervalMs: 100, message: 'a keep-alive renews the lease' },
    );
    expect(await other.get(`${prefix}r/b`).string()).toBe('vb');

    await writer.unregister(`${prefix}r/a`);
    expect(await other.get(`${prefix}r/a`).string()).toBeNull();

    clients.splice(clients.indexOf(writer), 1);
    await writer.close();
    await waitFor(async () => (await other.get(`${prefix}r/b`).string()) === null, {
      timeoutMs: 1500,
      message: 'the revoke drops the lease key (an expiry would take the 5 s TTL)',
    });
  });
});
