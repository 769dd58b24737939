import { InterceptingCall, Interceptor, Metadata } from '@grpc/grpc-js';
import { castGrpcError, Etcd3, isRecoverableError, Watcher } from 'etcd3';
import { ConnectionPool } from 'etcd3/lib/connection-pool';
import { WatchManager } from 'etcd3/lib/watch';
import { createServer, Server, Socket } from 'net';
import { CallContext } from '../../lib/core/etcd/default-call-options';
import { directTxn, directTxnMissing } from '../../lib/core/etcd/direct-txn';
import { createEtcdClient } from '../../lib/core/etcd/etcd-client.factory';
import { etcd3ErrorKind } from '../../lib/core/etcd/etcd-errors';
import { Etcd3InternalsError, etcd3Version } from '../../lib/core/etcd/etcd3-internals';
import { EtcdPolicy, faultHandling, faultHandlingMissing } from '../../lib/core/etcd/fault-handling';
import { hostFailureInterceptor } from '../../lib/core/etcd/host-failure.interceptor';
import { HostSelection, hostSelectionOf, poolMissing } from '../../lib/core/etcd/host-selection';
import { isLeanHostFailure, leanErrorKind } from '../../lib/core/etcd/lean-range';
import { OWN_DEADLINE } from '../../lib/core/etcd/own-ends';
import { requireLeader } from '../../lib/core/etcd/require-leader.interceptor';
import { repairWatchQueue, watchQueueMissing } from '../../lib/core/etcd/watch-queue-repair';
import { leanWatchRevision, watchRevisionMissing } from '../../lib/core/etcd/watch-revision';
import { resolveRegistryOptions } from '../../lib/core/options';
import { EtcdServer, startEtcd } from '../support/etcd-launcher';
import { uniquePrefix } from '../support/registry-fixtures';
import { waitFor } from '../support/wait-for';

/**
 * The canary of etcd3 as a range (package.json: "etcd3": "^1.1.2"): what each patch and bypass in
 * lib/core/etcd/ relies on in etcd3 (and grpc-js under it), checked against the installed release,
 * on a real etcd where the behaviour matters. A new etcd3 that changes any of it fails here, by name.
 */
describe(`etcd3 ${etcd3Version()}: what lib/core/etcd/ relies on (real etcd)`, () => {
  let etcd: EtcdServer;
  let hung: { endpoint: string; server: Server; sockets: Set<Socket> };
  const clients: Etcd3[] = [];
  beforeAll(async () => {
    etcd = await startEtcd();
    const sockets = new Set<Socket>();
    const server = createServer((s) => (sockets.add(s), s.on('error', () => undefined)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const addr = server.address();
    hung = { endpoint: `127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`, server, sockets };
  });
  afterEach(() => clients.splice(0).forEach((c) => c.close()));
  afterAll(async () => {
    for (const s of hung.sockets) s.destroy();
    await new Promise((r) => hung.server.close(r));
    await etcd.stop();
  });

  const keep = <T extends Etcd3>(c: T): T => (clients.push(c), c);
  const registryClient = (endpoints = etcd.endpoints) => keep(createEtcdClient(resolveRegistryOptions({ endpoints, timeoutMs: 3000 })));
  const http = (endpoints: string[]) => endpoints.map((e) => `http://${e}`);

  it('createEtcdClient finds every private part the patches use', () => {
    const c = registryClient();
    expect(poolMissing(c)).toBeUndefined();
    expect(faultHandlingMissing(c)).toBeUndefined();
    expect(directTxnMissing(c)).toBeUndefined();
    expect(watchQueueMissing(c)).toBeUndefined();
    expect(watchQueueMissing(c.namespace('/ns/'))).toBeUndefined();
    expect(hostSelectionOf(c)).toBeDefined();
  });

  it('a missing private part fails the creation, naming etcd3 and the patch (not a silent no-op)', () => {
    const proto = ConnectionPool.prototype as unknown as Record<string, unknown>;
    const original = proto.shuffledHosts;
    delete proto.shuffledHosts;
    try {
      expect(() => registryClient()).toThrow(Etcd3InternalsError);
      expect(() => registryClient()).toThrow(
        new RegExp(`etcd3 ${etcd3Version().replace(/\./g, '\\.')} .*host-selection\\.ts.*shuffledHosts`),
      );
    } finally {
      proto.shuffledHosts = original;
    }
    const manager = WatchManager.prototype as unknown as Record<string, unknown>;
    const handleError = manager.handleError;
    delete manager.handleError;
    try {
      expect(() => registryClient()).toThrow(/watch-queue-repair\.ts.*handleError/);
    } finally {
      manager.handleError = handleError;
    }
    expect(() => registryClient()).not.toThrow();
  });

  it('defaultCallOptions: called per call with isStream and method, and grpc-js runs the interceptors it returns', async () => {
    const contexts: CallContext[] = [];
    const seen: { path: string; hasLeader: boolean; code?: number }[] = [];
    const recorder: Interceptor = (options, next) => {
      const entry: (typeof seen)[number] = { path: options.method_definition.path, hasLeader: false };
      seen.push(entry);
      return new InterceptingCall(next(options), {
        start(metadata: Metadata, listener, nextStart) {
          entry.hasLeader = metadata.get('hasleader')[0] === 'true';
          nextStart(metadata, { onReceiveStatus: (status, nextStatus) => ((entry.code = status.code), nextStatus(status)) });
        },
      });
    };
    const c = keep(
      new Etcd3({
        hosts: http(etcd.endpoints),
        defaultCallOptions: (ctx: CallContext) => (
          contexts.push({ isStream: ctx.isStream, method: ctx.method }),
          { interceptors: ctx.isStream ? [requireLeader, recorder] : [recorder] }
        ),
      }),
    );
    const key = `${uniquePrefix()}k`;
    await c.put(key).value('v');
    const lease = c.lease(10, { autoKeepAlive: false });
    await lease.grant();
    const watcher = await c.watch().key(key).create();
    expect(contexts).toEqual(
      expect.arrayContaining([
        { isStream: false, method: 'put' },
        { isStream: false, method: 'leaseGrant' },
      ]),
    );
    expect(contexts.some((ctx) => ctx.isStream)).toBe(true);
    expect(seen).toEqual(expect.arrayContaining([expect.objectContaining({ path: '/etcdserverpb.KV/Put', hasLeader: false, code: 0 })]));
    // A stream's interceptors see the metadata requireLeader added (etcd's require-leader flag).
    expect(seen).toEqual(expect.arrayContaining([expect.objectContaining({ path: '/etcdserverpb.Watch/Watch', hasLeader: true })]));
    await watcher.cancel();
    await lease.revoke();
  });

  it('a call that ends by our own deadline reaches etcd3 as a non-recoverable error carrying the mark (host-failure.interceptor)', async () => {
    const c = keep(new Etcd3({ hosts: http([hung.endpoint]), defaultCallOptions: { interceptors: [hostFailureInterceptor] } }));
    const error = await c
      .get('k')
      .options({ deadline: Date.now() + 300 })
      .string()
      .then(
        () => undefined,
        (e: unknown) => e as Error,
      );
    expect(error?.message).toContain(OWN_DEADLINE);
    expect(isRecoverableError(error!)).toBe(false);
  });

  it('faultHandling: one execute per call on the global and the host policy, failures reported, no retry', async () => {
    const selection = new HostSelection([hung.endpoint, ...etcd.endpoints]);
    const ours = faultHandling(selection);
    const runs = { global: 0, host: new Map<string, number>(), backoffs: 0 };
    const counted = (policy: EtcdPolicy, count: () => void): EtcdPolicy => ({
      ...policy,
      execute: (fn, signal) => (count(), policy.execute(fn, signal)),
    });
    const c = keep(
      new Etcd3({
        hosts: http([etcd.endpoints[0]]),
        faultHandling: {
          global: counted(ours.global!, () => runs.global++),
          host: (h) => counted(ours.host!(h), () => runs.host.set(h, (runs.host.get(h) ?? 0) + 1)),
          watchBackoff: { duration: 0, next: () => (runs.backoffs++, ours.watchBackoff!.next(undefined)) },
        },
      }),
    );
    await c.put(`${uniquePrefix()}k`).value('v');
    expect(runs.global).toBe(1);
    expect([...runs.host.values()]).toEqual([1]);
    expect(runs.backoffs).toBeGreaterThanOrEqual(1); // the watch manager takes its first backoff from next()
    // A refused connection: one attempt (no retry under the runner's), and the host is reported failed.
    const refused = keep(new Etcd3({ hosts: ['http://127.0.0.1:1'], faultHandling: faultHandling(selection) }));
    let attempts = 0;
    const pool = (refused as unknown as { pool: { hosts: { getServiceClient(n: string): unknown }[] } }).pool;
    const get = pool.hosts[0].getServiceClient.bind(pool.hosts[0]);
    pool.hosts[0].getServiceClient = (n: string) => (attempts++, get(n));
    await expect(
      refused
        .get('k')
        .options({ deadline: Date.now() + 2000 })
        .string(),
    ).rejects.toThrow();
    expect(attempts).toBe(1);
    expect(selection.isAvoided('127.0.0.1:1')).toBe(true);
  });

  it('the patched host order is the one exec walks: an avoided member gets no call', async () => {
    const c = registryClient([hung.endpoint, ...etcd.endpoints]);
    hostSelectionOf(c)!.failed(hung.endpoint);
    const pool = (c as unknown as { pool: { hosts: { host: string; getServiceClient(n: string): unknown }[] } }).pool;
    const calls = new Map<string, number>();
    for (const h of pool.hosts) {
      const get = h.getServiceClient.bind(h);
      h.getServiceClient = (n: string) => (calls.set(h.host, (calls.get(h.host) ?? 0) + 1), get(n));
    }
    for (let i = 0; i < 10; i++)
      await c
        .get('k')
        .options({ deadline: Date.now() + 2000 })
        .string();
    expect(calls.get(hung.endpoint) ?? 0).toBe(0);
    expect(calls.get(etcd.endpoints[0])).toBe(10);
  });

  it("direct transactions go out on the pool's per-host gRPC KV client", async () => {
    const c = registryClient();
    const send = directTxn(c)!;
    expect(send).toBeDefined();
    const key = `${uniquePrefix()}t`;
    const res = await send({ compare: [], success: [{ request_put: { key: Buffer.from(key), value: Buffer.from('v') } }], failure: [] });
    expect(res.succeeded).toBe(true);
    expect(await c.get(key).string()).toBe('v');
  });

  /** A watch etcd refuses at creation: a range whose end is before its start ("created" and "canceled"). */
  const refusedWatch = (c: Etcd3): Promise<Error> =>
    new Promise((resolve) => {
      const w: Watcher = c.watch().inRange({ start: 'b', end: 'a' }).watcher();
      w.on('error', resolve);
    });
  const created = (c: Etcd3, key: string, ms: number): Promise<boolean> =>
    new Promise((resolve) => {
      const w = c.watch().key(key).watcher();
      const timer = setTimeout(() => resolve(false), ms);
      w.on('connected', () => (clearTimeout(timer), resolve(true)));
    });

  it('etcd3 still leaves a watch refused at creation at the head of its attach queue (the repair is still needed)', async () => {
    const c = keep(new Etcd3({ hosts: http(etcd.endpoints) }));
    await refusedWatch(c);
    // If this starts passing as true, etcd3 fixed it: watch-queue-repair.ts can go.
    expect(await created(c, `${uniquePrefix()}next`, 1500)).toBe(false);
  });

  it('with the repair, the next watch is created at once after a refusal', async () => {
    const c = registryClient();
    expect(repairWatchQueue(c)).toBe(true);
    await refusedWatch(c);
    expect(await created(c, `${uniquePrefix()}next`, 3000)).toBe(true);
    await waitFor(() => created(c, `${uniquePrefix()}again`, 1000), { timeoutMs: 3000, message: 'a second watch after the refusal' });
  });

  it("a watch on the registry's client: answers decoded by watch-codec.ts, resume revision kept by watch-revision.ts", async () => {
    const c = registryClient();
    expect(watchRevisionMissing(c)).toBeUndefined();
    expect(leanWatchRevision(c)).toBe(true);
    const ns = c.namespace(uniquePrefix());
    expect(leanWatchRevision(ns)).toBe(true);
    const w = ns.watch().prefix('k').watcher();
    expect(Object.prototype.hasOwnProperty.call(w, 'updateRevision')).toBe(true);
    const events: { type: string; key: string; value: string }[] = [];
    const responses: { header: { revision: string }; events: unknown[] }[] = [];
    w.on('put', (kv) => events.push({ type: 'put', key: kv.key.toString(), value: kv.value.toString() }));
    w.on('delete', (kv) => events.push({ type: 'delete', key: kv.key.toString(), value: kv.value.toString() }));
    w.on('data', (res) => responses.push(res));
    await new Promise((resolve) => w.once('connected', resolve));
    await ns.put('k1').value('v1');
    await ns.delete().key('k1');
    await waitFor(() => events.length === 2, { timeoutMs: 3000, message: 'the two events' });
    // etcd3's watcher reads our decoder's objects as its own: keys unprefixed, event types named.
    expect(events).toEqual([
      { type: 'put', key: 'k1', value: 'v1' },
      { type: 'delete', key: 'k1', value: '' },
    ]);
    // The resume revision: the last header's revision + 1 (what etcd3 resumes from after a reconnect).
    const last = responses[responses.length - 1];
    expect(w.lastRevision()).toBe(String(BigInt(last.header.revision) + 1n));
    // The client's Watch clients are the lean ones (a reset makes them again, patched again).
    const pool = (c as unknown as { pool: ConnectionPool }).pool as unknown as {
      hosts: { getServiceClient(n: string): { watch: unknown } }[];
    };
    const proto = Object.getPrototypeOf(pool.hosts[0].getServiceClient('Watch')) as { watch: unknown };
    expect(pool.hosts[0].getServiceClient('Watch').watch).not.toBe(proto.watch);
    await w.cancel();
  });

  it('etcd3 error classes: what etcd-errors.ts and the lean reader (lean-range.ts) tell apart', () => {
    const grpc = (code: number, details: string) => Object.assign(new Error(`${code} STATUS: ${details}`), { code, details });
    for (let code = 1; code <= 16; code++) {
      // The gRPC statuses etcd3 takes as a failure of the member are the lean reader's.
      expect([code, isRecoverableError(castGrpcError(grpc(code, 'some failure')))]).toEqual([
        code,
        isLeanHostFailure(grpc(code, 'some failure')),
      ]);
    }
    const cases: [number, string][] = [
      [3, 'etcdserver: authentication failed, invalid user ID or password'],
      [7, 'etcdserver: permission denied'],
      [16, 'some failure'],
      [3, 'some failure'],
    ];
    for (const [code, details] of cases) {
      expect([details, etcd3ErrorKind(castGrpcError(grpc(code, details)))]).toEqual([details, leanErrorKind(grpc(code, details))]);
    }
    expect(etcd3ErrorKind(castGrpcError(grpc(3, 'etcdserver: authentication failed, invalid user ID or password')))).toBe('authFailed');
    expect(etcd3ErrorKind(castGrpcError(grpc(7, 'etcdserver: permission denied')))).toBe('permissionDenied');
  });
});
