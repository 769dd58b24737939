import { Test } from '@nestjs/testing';
import { Etcd3 } from 'etcd3';
import { createRegistry, Registry } from '../../lib/core';
import { EtcdRegistryModule } from '../../lib/module/etcd-registry.module';
import { RegistryService } from '../../lib/service/registry.service';
import { watcherFixtures } from '../support/watchers.fixture';
import { startEtcd } from '../support/etcd-launcher';
import { FaultProxy, startFaultProxy } from '../support/fault-proxy';
import { printFigures, rawClient, recordFigure } from '../support/registry-probe';
import { recordWatch } from '../support/watch-recorder';

jest.setTimeout(180_000);

const SPEC = 'slow-link';
const DELAY_MIN_MS = 300;
const DELAY_MAX_MS = 600;
const ROUNDS = 4;

/**
 * A slow link (300-600 ms each way, so a round trip of 0.6-1.2 s) with a
 * timeoutMs well above a round trip. Every call must succeed, again and again, and the client
 * must keep its connection: reconnects are never caused by the library's own deadlines.
 */
describe('a slow link whose round trip fits the budget', () => {
  let etcd: Awaited<ReturnType<typeof startEtcd>>;
  let checker: Etcd3;
  let proxy: FaultProxy;
  let reg: Registry | undefined;

  beforeAll(async () => {
    etcd = await startEtcd();
    checker = rawClient(etcd.endpoints);
  });

  afterEach(async () => {
    await reg?.close();
    reg = undefined;
    await proxy?.close();
  });

  afterAll(async () => {
    checker?.close();
    await etcd?.stop();
    printFigures(SPEC);
  });

  // A register takes two round trips (lease grant, write) plus the connection's set-up: up to 3.6 s.
  it('timeoutMs 5000: register, getServices, addWatch and unregister all succeed, repeatedly, over one connection', async () => {
    proxy = await startFaultProxy(etcd.endpoints);
    proxy.delay(DELAY_MIN_MS, DELAY_MAX_MS);
    reg = createRegistry({ endpoints: proxy.endpoints, ttlSeconds: 5, timeoutMs: 5000 });
    const p = '/slow/';
    const failures: string[] = [];
    const t0 = Date.now();
    let connectionsAfterFirstRound = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const key = `${p}i${i}`;
      const timed = async <T>(what: string, call: () => Promise<T>): Promise<T | undefined> => {
        const started = Date.now();
        try {
          return await call();
        } catch (e) {
          failures.push(`round ${i}: ${what}: ${e instanceof Error ? e.message : String(e)}`);
          return undefined;
        } finally {
          recordFigure(SPEC, `round ${i}: ${what}`, Date.now() - started);
        }
      };
      const registered = (await timed('register', () => reg!.register(key, `v${i}`).then(() => true))) === true;
      if (registered) expect(await checker.get(key).string()).toBe(`v${i}`);
      const map = await timed('getServices', () => reg!.getServices(p));
      if (map && registered) expect(map[key]).toBe(`v${i}`);
      const rec = await timed('addWatch (first map)', () => recordWatch(reg!, p));
      if (rec && registered) expect(rec.last?.[key]).toBe(`v${i}`);
      await reg.removeWatch(p);
      if ((await timed('unregister', () => reg!.unregister(key).then(() => true))) === true) {
        expect(await checker.get(key).string()).toBeNull();
      }
      if (i === 0) connectionsAfterFirstRound = proxy.connectionsAccepted;
    }
    recordFigure(SPEC, `${ROUNDS} rounds in`, Date.now() - t0);
    recordFigure(SPEC, 'connections accepted by the proxy', proxy.connectionsAccepted, 'connections');
    expect(failures).toEqual([]);
    // The link never fails: no connection after the first round (reconnects are never caused by our own deadlines).
    expect(proxy.connectionsAccepted).toBe(connectionsAfterFirstRound);
    expect(proxy.connectionsAccepted).toBeLessThanOrEqual(2);
  });

  // A read takes one round trip (1.2 s at most) plus the connection's set-up (as long): 2.4 s. Each
  // call's gRPC deadline used to be timeoutMs / 2: a read on a new connection missed it, and the
  // deadline made etcd3 drop the connection, so the next read needed a new one too: never again a read.
  it('timeoutMs 3000: reads and watches succeed, every time, over one connection', async () => {
    proxy = await startFaultProxy(etcd.endpoints);
    await checker.put('/slow-read/a').value('A');
    proxy.delay(DELAY_MIN_MS, DELAY_MAX_MS);
    reg = createRegistry({ endpoints: proxy.endpoints, ttlSeconds: 5, timeoutMs: 3000 });
    const failures: string[] = [];
    for (let i = 0; i < 5; i++) {
      const started = Date.now();
      try {
        expect(await reg.getServices('/slow-read/')).toEqual({ '/slow-read/a': 'A' });
        const rec = await recordWatch(reg, '/slow-read/');
        expect(rec.last).toEqual({ '/slow-read/a': 'A' });
        await reg.removeWatch('/slow-read/');
      } catch (e) {
        failures.push(`read ${i}: ${e instanceof Error ? e.message : String(e)}`);
      }
      recordFigure(SPEC, `timeoutMs 3000, read ${i}: getServices + addWatch`, Date.now() - started);
    }
    recordFigure(SPEC, 'timeoutMs 3000: connections accepted by the proxy', proxy.connectionsAccepted, 'connections');
    expect(failures).toEqual([]);
    expect(proxy.connectionsAccepted).toBe(1);
  });

  it('Nest: app.listen() (register + the first map of a @WatchServices handler) and app.close() over the slow link, twice, one connection each (a guard: this passed before the fix too)', async () => {
    const f = watcherFixtures('/slow-nest/');
    await checker.put(`${f.a}peer`).value('10.0.0.9:9');
    const counts: number[] = [];
    for (let i = 0; i < 2; i++) {
      proxy = await startFaultProxy(etcd.endpoints);
      proxy.delay(DELAY_MIN_MS, DELAY_MAX_MS);
      const moduleRef = await Test.createTestingModule({
        imports: [
          EtcdRegistryModule.forRoot({
            endpoints: proxy.endpoints,
            ttlSeconds: 5,
            timeoutMs: 5000,
            service: { name: 'slow', id: `n${i}`, address: '127.0.0.1:1', prefix: '/slow-nest/svc/' },
          }),
        ],
        providers: [f.PlainWatcher],
      }).compile();
      const app = moduleRef.createNestApplication({ logger: false });
      const started = Date.now();
      try {
        await app.listen(0, '127.0.0.1'); // an HTTP app registers in listen()
        recordFigure(SPEC, `Nest ${i}: app.listen()`, Date.now() - started);
        expect(f.PlainWatcher.recorder.latest(f.a)).toEqual({ [`${f.a}peer`]: '10.0.0.9:9' });
        const key = app.get(RegistryService).serviceKey!;
        expect(await checker.get(key).string()).toBe('127.0.0.1:1');
        const closing = Date.now();
        await app.close();
        recordFigure(SPEC, `Nest ${i}: app.close()`, Date.now() - closing);
        expect(await checker.get(key).string()).toBeNull();
      } finally {
        await app.close().catch(() => undefined);
      }
      counts.push(proxy.connectionsAccepted);
      await proxy.close();
    }
    expect(counts).toEqual([1, 1]);
  });
});
