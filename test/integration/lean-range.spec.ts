import { Etcd3 } from 'etcd3';
import { createRegistry, EtcdRegistry } from '../../lib/core';
import { RegistryAuthError, RegistryUnavailableError } from '../../lib/core/errors';
import { LeanEtcdMember, prefixRangeEnd } from '../../lib/core/etcd/lean-range';
import { revisionsOf } from '../../lib/core/map-revisions';
import { createPrefixReader, PrefixReader } from '../../lib/core/prefix-reader';
import { enableEtcdAuth } from '../support/etcd-auth';
import { EtcdServer, startEtcd } from '../support/etcd-launcher';
import { freePort } from '../support/free-port';

// The lean read path (lib/core/etcd/lean-range.ts, lib/core/prefix-reader.ts) against real etcd,
// compared with what etcd3 and the registry read.
jest.setTimeout(60_000);

describe('lean Range against etcd, compared with etcd3', () => {
  let etcd: EtcdServer;
  let client: Etcd3;
  const prefix = `/lean-${Date.now()}/`;
  const readers: { close(): unknown }[] = [];

  beforeAll(async () => {
    etcd = await startEtcd();
    client = new Etcd3({ hosts: etcd.endpoints.map((e) => `http://${e}`) });
    const lease = await client.lease(30).grant();
    for (let n = 0; n < 300; n++) await client.put(`${prefix}svc-${n % 7}/i${n}`).value(`{"v":1,"address":"10.0.0.${n % 250}:80"}`);
    await client.put(`${prefix}unicode/é✓`).value('ünï ✓');
    await client.put(`${prefix}empty/x`).value('');
    await client.put(`${prefix}leased/x`).value('v').lease(lease);
    await client.put(`${prefix}leased/x`).value('v2').lease(lease); // version 2
    await client.put(`/ns-${prefix}svc/i1`).value('namespaced');
    await client.put(`${prefix.slice(0, -1)}0`).value('just past the prefix');
  });
  afterEach(async () => {
    for (const r of readers.splice(0)) await r.close();
  });
  afterAll(async () => {
    client?.close();
    await etcd?.stop();
  });

  const reader = (options: Parameters<typeof createPrefixReader>[0]): PrefixReader => {
    const r = createPrefixReader(options);
    readers.push(r);
    return r;
  };

  it('a prefix range reads what etcd3 reads: header, and every field of every KeyValue', async () => {
    const member = new LeanEtcdMember(etcd.endpoints[0], undefined);
    readers.push(member);
    const key = Buffer.from(prefix);
    const ours = await member.range({ key, rangeEnd: prefixRangeEnd(key) }, { deadline: Date.now() + 5000 });
    const theirs = await client.getAll().prefix(prefix).exec();
    expect(ours.kvs).toHaveLength(303);
    expect(ours.header).toEqual({
      cluster_id: theirs.header.cluster_id,
      member_id: theirs.header.member_id,
      revision: theirs.header.revision,
      raft_term: theirs.header.raft_term,
    });
    expect(ours.kvs).toEqual(
      theirs.kvs.map((kv) => ({
        key: kv.key.toString(),
        value: kv.value.toString(),
        create_revision: kv.create_revision,
        mod_revision: kv.mod_revision,
        version: kv.version,
        lease: kv.lease,
      })),
    );
    expect(ours.kvs.find((kv) => kv.key.endsWith('leased/x'))).toEqual(
      expect.objectContaining({ version: '2', lease: expect.not.stringMatching(/^0$/) }),
    );
    expect([ours.more, ours.count]).toEqual([theirs.more, theirs.count]);
  });

  it('limit, count_only and keys_only as etcd3 gets them', async () => {
    const member = new LeanEtcdMember(etcd.endpoints[0], undefined);
    readers.push(member);
    const key = Buffer.from(prefix);
    const call = { deadline: Date.now() + 5000 };
    const limited = await member.range({ key, rangeEnd: prefixRangeEnd(key), limit: 5 }, call);
    expect([limited.kvs.length, limited.more, limited.count]).toEqual([5, true, '303']);
    const counted = await member.range({ key, rangeEnd: prefixRangeEnd(key), countOnly: true }, call);
    expect([counted.kvs.length, counted.count]).toEqual([0, String(await client.getAll().prefix(prefix).count())]);
    const keysOnly = await member.range({ key, rangeEnd: prefixRangeEnd(key), keysOnly: true }, call);
    expect(keysOnly.kvs.every((kv) => kv.value === '')).toBe(true);
  });

  it('PrefixReader.getServices gives the registry map and revisions, with and without a namespace', async () => {
    for (const namespace of [undefined, `/ns-`]) {
      const registry: EtcdRegistry = createRegistry({ endpoints: etcd.endpoints, namespace });
      readers.push(registry);
      const lean = await reader({ endpoints: etcd.endpoints, namespace }).getServices(prefix);
      const full = await registry.getServices(prefix);
      expect(lean).toEqual(full);
      expect(Object.isFrozen(lean)).toBe(true);
      const leanRevisions = revisionsOf(lean)!;
      const fullRevisions = revisionsOf(full)!;
      for (const key of Object.keys(full)) expect([key, leanRevisions(key)]).toEqual([key, fullRevisions(key)]);
    }
  });

  it('getEntries reads an all-ASCII prefix (keys and values as slices of one latin1 string) as etcd3 reads it', async () => {
    // The prefix above holds a UTF-8 key: its read takes the UTF-8 path. This one is ASCII throughout, as a
    // registry usually is, around the framing's bytes of 0x80 and up (etcd's 64-bit ids, the revisions' varints).
    const ascii = `${prefix}svc-3/`;
    const entries = await reader({ endpoints: etcd.endpoints }).getEntries(ascii);
    const theirs = await client.getAll().prefix(ascii).exec();
    expect(theirs.kvs).toHaveLength(43); // i3, i10, ... i297
    expect(entries).toEqual(theirs.kvs.map((kv) => ({ key: kv.key.toString(), value: kv.value.toString(), revision: kv.mod_revision })));
  });

  it('getEntries calls whileEtcdAnswers once, after the request is written and before the answer is read; never when nothing answers', async () => {
    const steps: string[] = [];
    const entries = await reader({ endpoints: etcd.endpoints })
      .getEntries(prefix, () => steps.push('sent'))
      .then((read) => {
        steps.push('answered');
        return read;
      });
    expect(steps).toEqual(['sent', 'answered']);
    expect(entries).toHaveLength(303);
    const dead = `127.0.0.1:${await freePort()}`;
    const calls: string[] = [];
    await expect(reader({ endpoints: [dead], timeoutMs: 500 }).getEntries('/x/', () => calls.push('sent'))).rejects.toBeInstanceOf(
      RegistryUnavailableError,
    );
    expect(calls).toEqual([]);
  });

  it('nothing listening: RegistryUnavailableError naming the endpoint, within the budget', async () => {
    const dead = `127.0.0.1:${await freePort()}`;
    const started = Date.now();
    const error = await reader({ endpoints: [dead], timeoutMs: 800 })
      .getServices('/x/')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryUnavailableError);
    expect((error as Error).message).toContain(dead);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('lean Range against etcd with auth', () => {
  let etcd: EtcdServer;

  beforeAll(async () => {
    etcd = await startEtcd();
    const auth = await enableEtcdAuth({ endpoints: etcd.endpoints, rootPassword: 'root-pw' });
    await auth.addUserWithPrefixes('reader', 'reader-pw', ['/services/'], 'read');
    await auth.run(['put', '/services/api/a1', '127.0.0.1:5001']);
  }, 60_000);
  afterAll(() => etcd?.stop());

  const read = async (options: Partial<Parameters<typeof createPrefixReader>[0]>, prefix = '/services/') => {
    const r = createPrefixReader({ endpoints: etcd.endpoints, timeoutMs: 2000, ...options });
    try {
      return await r.getServices(prefix);
    } finally {
      await r.close();
    }
  };

  it('with the right credentials: the keys of the prefix', async () => {
    expect(await read({ username: 'reader', password: 'reader-pw' })).toEqual({ '/services/api/a1': '127.0.0.1:5001' });
  });

  it('no credentials, a wrong password, a prefix the role may not read: RegistryAuthError, as the registry says it', async () => {
    const cases = [
      [{}, '/services/'],
      [{ username: 'reader', password: 'nope' }, '/services/'],
      [{ username: 'reader', password: 'reader-pw' }, '/other/'],
    ] as const;
    for (const [options, prefix] of cases) {
      const lean = await read(options, prefix).catch((e: unknown) => e);
      const registry = createRegistry({ endpoints: etcd.endpoints, timeoutMs: 2000, ...options });
      const full = await registry.getServices(prefix).catch((e: unknown) => e);
      await registry.close();
      expect(lean).toBeInstanceOf(RegistryAuthError);
      expect((lean as Error).message).toBe((full as Error).message);
    }
  });
});
