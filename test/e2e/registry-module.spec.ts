import { INestApplication, Logger, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import {
  createRegistry,
  ETCD_CLIENT,
  EtcdRegistryModule,
  Registry,
  RegistryOptionsError,
  RegistryService,
  RegistryUnavailableError,
  ServiceMap,
} from '../../lib';
import { EtcdServer, startEtcd } from '../support/etcd-launcher';
import { freePort } from '../support/free-port';
import { withNestApps } from '../support/nest-app';
import { EtcdRegistryConfig, optionsFromConfig } from '../support/registry-options.fixture';
import { waitFor } from '../support/wait-for';
import { recordWatch } from '../support/watch-recorder';
import { watcherFixtures } from '../support/watchers.fixture';

jest.setTimeout(30_000);

const ROOT = `/e2e-module-${process.pid}/`;

describe('EtcdRegistryModule (real etcd)', () => {
  let etcd: EtcdServer;
  let observer: Registry;
  let app: INestApplication | undefined;
  let n = 0;
  const apps = withNestApps();

  /** A prefix of its own per test: `${ROOT}tN/`. */
  const nextPrefix = () => `${ROOT}t${++n}/`;

  /** An independent watcher (a separate core registry, its own client) on `prefix`. */
  async function observe(prefix: string) {
    const rec = await recordWatch(observer, prefix);
    return { latest: () => rec.last ?? {}, firstWithout: (key: string, after: number) => rec.firstWithout(key, after) };
  }

  /** An HTTP application, listening on a free loopback port (an HTTP app registers once it listens). */
  async function start(imports: unknown[], extra: { overrideClient?: unknown } = {}): Promise<INestApplication> {
    const client = extra.overrideClient;
    app = await apps.start({ imports: imports as never[] }, client ? (b) => b.overrideProvider(ETCD_CLIENT).useValue(client) : undefined);
    return app;
  }

  beforeAll(async () => {
    etcd = await startEtcd();
    observer = createRegistry({ endpoints: etcd.endpoints });
  });

  afterEach(() => {
    app = undefined;
  });

  afterAll(async () => {
    await observer?.close();
    await etcd?.stop();
  });

  it('forRoot: registers the service under /prefix/name/id = address in listen() and exposes the key', async () => {
    const prefix = nextPrefix();
    const watch = await observe(prefix);
    const log = jest.spyOn(Logger.prototype, 'log');
    try {
      await start([
        EtcdRegistryModule.forRoot({ endpoints: etcd.endpoints, service: { name: 'users', id: 'u1', address: '127.0.0.1:3001', prefix } }),
      ]);
      // The core logs through a Nest Logger with the context EtcdRegistry.
      const registered = log.mock.calls.findIndex((c) => String(c[0]).includes(`Registered "${prefix}users/u1"`));
      expect(registered).toBeGreaterThanOrEqual(0);
      expect((log.mock.contexts[registered] as { context?: string }).context).toBe('EtcdRegistry');
    } finally {
      log.mockRestore();
    }
    const registry = app!.get(RegistryService);
    expect(registry.serviceKey).toBe(`${prefix}users/u1`);
    // Registered before listen() resolved: the key is readable at once.
    expect(await registry.getServices(prefix)).toEqual({ [`${prefix}users/u1`]: '127.0.0.1:3001' });
    await waitFor(() => watch.latest()[`${prefix}users/u1`] === '127.0.0.1:3001', { message: 'the observer to see users/u1' });
  });

  it('deregisters on app.close(): gone from an independent watcher within 100 ms', async () => {
    const prefix = nextPrefix();
    const watch = await observe(prefix);
    const key = `${prefix}users/u2`;
    await start([EtcdRegistryModule.forRoot({ endpoints: etcd.endpoints, service: { name: 'users', id: 'u2', address: 'h:2', prefix } })]);
    await waitFor(() => key in watch.latest(), { message: 'the observer to see the key' });
    const closing = Date.now();
    await apps.close(app!);
    const closed = Date.now();
    const gone = await waitFor(() => watch.firstWithout(key, closing), { timeoutMs: 5000, message: 'the key to disappear' });
    // The key is deleted while close() runs; the watcher sees it at most 100 ms after close() resolved.
    expect(gone.at - closed).toBeLessThanOrEqual(100);
  });

  it('forRootAsync with ConfigModule/ConfigService and useFactory', async () => {
    const prefix = nextPrefix();
    await start([
      EtcdRegistryModule.forRootAsync({
        imports: [
          ConfigModule.forRoot({
            ignoreEnvFile: true,
            load: [() => ({ ETCD_ENDPOINTS: etcd.endpoints.join(','), SERVICE_NAME: 'cfg', SERVICE_ID: 'f1', SERVICE_ADDRESS: 'h:3' })],
          }),
        ],
        inject: [ConfigService],
        useFactory: (config: ConfigService) => ({
          ...optionsFromConfig(config),
          service: { ...optionsFromConfig(config).service!, prefix },
        }),
      }),
    ]);
    const registry = app!.get(RegistryService);
    expect(await registry.getServices(prefix)).toEqual({ [`${prefix}cfg/f1`]: 'h:3' });
  });

  it('forRootAsync with useClass (an options factory that reads ConfigService), isGlobal', async () => {
    const id = `c-${Date.now()}`;
    @Module({})
    class FeatureModule {}
    await start([
      ConfigModule.forRoot({
        isGlobal: true,
        ignoreEnvFile: true,
        load: [
          () => ({ ETCD_ENDPOINTS: etcd.endpoints.join(','), SERVICE_NAME: `cls-${process.pid}`, SERVICE_ID: id, SERVICE_ADDRESS: 'h:4' }),
        ],
      }),
      EtcdRegistryModule.forRootAsync({ useClass: EtcdRegistryConfig, isGlobal: true }),
      FeatureModule,
    ]);
    const registry = app!.get(RegistryService);
    expect(registry.serviceKey).toBe(`/services/cls-${process.pid}/${id}`);
    expect(await registry.getServices(`/services/cls-${process.pid}/`)).toEqual({ [`/services/cls-${process.pid}/${id}`]: 'h:4' });
  });

  it('forRootAsync with useExisting (an options factory from an imported module)', async () => {
    const id = `e-${Date.now()}`;
    @Module({
      imports: [
        ConfigModule.forRoot({
          ignoreEnvFile: true,
          load: [
            () => ({ ETCD_ENDPOINTS: etcd.endpoints.join(','), SERVICE_NAME: `ex-${process.pid}`, SERVICE_ID: id, SERVICE_ADDRESS: 'h:8' }),
          ],
        }),
      ],
      providers: [EtcdRegistryConfig],
      exports: [EtcdRegistryConfig],
    })
    class RegistryConfigModule {}
    await start([EtcdRegistryModule.forRootAsync({ imports: [RegistryConfigModule], useExisting: EtcdRegistryConfig })]);
    expect(await observer.getServices(`/services/ex-${process.pid}/`)).toEqual({ [`/services/ex-${process.pid}/${id}`]: 'h:8' });
  });

  it('an HTTP app is registered in listen(), once its port answers, not in init()', async () => {
    const prefix = nextPrefix();
    const moduleRef = await Test.createTestingModule({
      imports: [EtcdRegistryModule.forRoot({ endpoints: etcd.endpoints, service: { name: 'http', id: 'h1', address: 'h:9', prefix } })],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    expect(await observer.getServices(prefix)).toEqual({});
    const server = await app.listen(0, '127.0.0.1');
    // listen() resolved: the key is in etcd and the port answers.
    expect(await observer.getServices(prefix)).toEqual({ [`${prefix}http/h1`]: 'h:9' });
    expect(server.address()).toBeTruthy();
  });

  it('an application context (no HTTP server) is registered in init()', async () => {
    const prefix = nextPrefix();
    const moduleRef = await Test.createTestingModule({
      imports: [EtcdRegistryModule.forRoot({ endpoints: etcd.endpoints, service: { name: 'ctx', id: 'c1', address: 'h:10', prefix } })],
    }).compile();
    try {
      await moduleRef.init();
      expect(await observer.getServices(prefix)).toEqual({ [`${prefix}ctx/c1`]: 'h:10' });
    } finally {
      await moduleRef.close();
    }
    expect(await observer.getServices(prefix)).toEqual({});
  });

  it('autoRegister: false registers nothing until registerService(), then unregisterService() removes it', async () => {
    const prefix = nextPrefix();
    await start([
      EtcdRegistryModule.forRoot({
        endpoints: etcd.endpoints,
        autoRegister: false,
        service: { name: 'late', id: 'l1', address: 'h:5', prefix },
      }),
    ]);
    const registry = app!.get(RegistryService);
    expect(await observer.getServices(prefix)).toEqual({});
    await registry.registerService();
    expect(await observer.getServices(prefix)).toEqual({ [`${prefix}late/l1`]: 'h:5' });
    await registry.unregisterService();
    expect(await observer.getServices(prefix)).toEqual({});
  });

  it('offers the core operations: register, addWatch, getServices, unregister, removeWatch', async () => {
    const prefix = nextPrefix();
    await start([EtcdRegistryModule.forRoot({ endpoints: etcd.endpoints })]);
    const registry = app!.get(RegistryService);
    expect(registry.serviceKey).toBeUndefined();
    const maps: ServiceMap[] = [];
    await registry.addWatch(prefix, (m) => {
      maps.push(m);
    });
    expect(maps).toEqual([{}]);
    await registry.register(`${prefix}x`, '1');
    await waitFor(() => maps.some((m) => m[`${prefix}x`] === '1'), { message: 'the watch to see x' });
    await registry.unregister(`${prefix}x`);
    await waitFor(() => Object.keys(maps[maps.length - 1]).length === 0, { message: 'the watch to see x go' });
    await registry.removeWatch(prefix);
    const calls = maps.length;
    await observer.register(`${prefix}y`, '2');
    expect(await registry.getServices(prefix)).toEqual({ [`${prefix}y`]: '2' });
    await observer.unregister(`${prefix}y`);
    expect(maps.length).toBe(calls);
    await expect(registry.registerService()).rejects.toThrow(/No service is configured/);
  });

  it('uses the client behind ETCD_CLIENT (a test can hand in its own)', async () => {
    const prefix = nextPrefix();
    const { Etcd3 } = await import('etcd3');
    const client = new Etcd3({ hosts: etcd.endpoints.map((e) => `http://${e}`) });
    const lease = jest.spyOn(client, 'lease');
    await start([EtcdRegistryModule.forRoot({ endpoints: ['127.0.0.1:1'], service: { name: 'own', id: 'o1', address: 'h:6', prefix } })], {
      overrideClient: client,
    });
    // The configured endpoint is unreachable: registration only worked through the handed-in client.
    expect(lease).toHaveBeenCalled();
    expect(await observer.getServices(prefix)).toEqual({ [`${prefix}own/o1`]: 'h:6' });
  });

  it('fails fast: init() rejects within timeoutMs + 1 s naming the endpoints, never logging the password', async () => {
    const port = await freePort(); // nobody listens there
    const endpoint = `127.0.0.1:${port}`;
    const spies = (['log', 'warn', 'error', 'debug'] as const).map((m) => jest.spyOn(Logger.prototype, m));
    try {
      const failing = await apps.create({
        imports: [
          EtcdRegistryModule.forRoot({
            endpoints: [endpoint],
            timeoutMs: 1000,
            username: 'root',
            password: 's3cret-pw',
            service: { name: 'ff', address: 'h:7' },
          }),
        ],
      });
      const started = Date.now();
      const error = await failing.init().then(
        () => undefined,
        (e: unknown) => e,
      );
      const elapsed = Date.now() - started;
      expect(error).toBeInstanceOf(RegistryUnavailableError);
      expect((error as Error).message).toContain(endpoint);
      expect((error as Error).message).not.toContain('s3cret-pw');
      expect(elapsed).toBeLessThan(1000 + 1000);
      const logged = spies.flatMap((s) => s.mock.calls.map((c) => c.map(String).join(' ')));
      expect(logged.join('\n')).not.toContain('s3cret-pw');
      await apps.close(failing);
    } finally {
      for (const s of spies) s.mockRestore();
    }
  });

  it('fails fast with @WatchServices handlers too: init() rejects within timeoutMs + 1 s', async () => {
    const endpoint = `127.0.0.1:${await freePort()}`;
    const { PlainWatcher } = watcherFixtures(`${ROOT}ff/`);
    const failing = await apps.create({
      imports: [EtcdRegistryModule.forRoot({ endpoints: [endpoint], timeoutMs: 1000 })],
      providers: [PlainWatcher],
    });
    const started = Date.now();
    const error = await failing.init().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(Date.now() - started).toBeLessThan(1000 + 1000);
    expect(error).toBeInstanceOf(RegistryUnavailableError);
    expect((error as Error).message).toContain(endpoint);
    expect(PlainWatcher.recorder.count()).toBe(0);
    await apps.close(failing);
  });

  it.each([
    ['endpoints', { endpoints: [] }],
    ['ttlSeconds', { endpoints: ['127.0.0.1:2'], ttlSeconds: 0 }],
    ['service.address', { endpoints: ['127.0.0.1:2'], service: { name: 'x' } }],
    ['service.prefix', { endpoints: ['127.0.0.1:2'], service: { name: 'x', address: 'h:1', prefix: '/services' } }],
  ])('bad option %s: startup fails with a RegistryOptionsError naming it', async (option, options) => {
    const error = await Test.createTestingModule({ imports: [EtcdRegistryModule.forRoot(options as never)] })
      .compile()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(RegistryOptionsError);
    expect((error as RegistryOptionsError).option).toBe(option);
    expect((error as Error).message).toContain(`"${option}"`);
  });
});
