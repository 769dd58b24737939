import { Controller, Get, Injectable, INestApplication, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Etcd3 } from 'etcd3';
import { countEtcdClients } from '../support/etcd-client-counter';
import {
  ETCD_CLIENT,
  ETCD_REGISTRY,
  EtcdRegistryModule,
  RegistryOptionsError,
  RegistryService,
  ServiceConflictError,
  ServiceMap,
  WatchServices,
} from '../../lib';
import { EtcdRegistryTestingModule, InMemoryRegistry, overrideEtcdRegistry } from '../../lib/testing';

/** The testing kit's Nest side, with no etcd at all: nothing listens on ETCD_ENDPOINTS or anywhere else. */

@Injectable()
class UsersPool {
  addresses: string[] = [];
  @WatchServices('/services/users/')
  onUsers(services: ServiceMap) {
    this.addresses = Object.values(services).sort();
  }
}

@Controller()
class PoolController {
  constructor(private readonly pool: UsersPool) {}
  @Get('users')
  users() {
    return this.pool.addresses;
  }
}

/** An application module as users write it: its options factory fails without ETCD_ENDPOINTS. */
@Module({
  imports: [
    EtcdRegistryModule.forRootAsync({
      useFactory: () => {
        if (!process.env.ETCD_ENDPOINTS) throw new Error('ETCD_ENDPOINTS is not set');
        return { endpoints: process.env.ETCD_ENDPOINTS.split(','), service: { name: 'app', address: '10.0.0.9:3000' } };
      },
    }),
  ],
  providers: [UsersPool],
  controllers: [PoolController],
})
class AppModule {}

describe('EtcdRegistryTestingModule and overrideEtcdRegistry (no etcd)', () => {
  const apps: INestApplication[] = [];
  let etcdClients: jest.SpyInstance;
  const savedEndpoints = process.env.ETCD_ENDPOINTS;

  beforeEach(() => {
    delete process.env.ETCD_ENDPOINTS;
    etcdClients = countEtcdClients();
  });
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
    etcdClients.mockRestore();
    if (savedEndpoints !== undefined) process.env.ETCD_ENDPOINTS = savedEndpoints;
  });

  it('forRoot: @WatchServices handlers get the first map before init() resolves, then every change; no etcd client', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [EtcdRegistryTestingModule.forRoot({ ttlSeconds: 3 })],
      providers: [UsersPool],
    }).compile();
    const registry = moduleRef.get(InMemoryRegistry);
    await registry.addInstance('/services/users/u1', '10.0.0.1:1');
    const app = moduleRef.createNestApplication({ logger: false });
    apps.push(app);
    await app.init();
    const pool = app.get(UsersPool);
    expect(pool.addresses).toEqual(['10.0.0.1:1']);
    await registry.addInstance('/services/users/u2', '10.0.0.2:1');
    expect(pool.addresses).toEqual(['10.0.0.1:1', '10.0.0.2:1']);
    await registry.crash('/services/users/u1');
    await registry.advanceTime(2999);
    expect(pool.addresses).toEqual(['10.0.0.1:1', '10.0.0.2:1']);
    await registry.advanceTime(1);
    expect(pool.addresses).toEqual(['10.0.0.2:1']);
    expect(moduleRef.get(ETCD_REGISTRY)).toBe(registry);
    expect(() => moduleRef.get(ETCD_CLIENT, { strict: false })).toThrow();
    expect(etcdClients).not.toHaveBeenCalled();
  });

  it('forRoot with a service: RegistryService registers it, a conflict is refused, app.close() unregisters it', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [EtcdRegistryTestingModule.forRoot({ service: { name: 'users', id: 'me', address: '10.0.0.5:3000' } })],
    }).compile();
    const registry = moduleRef.get(InMemoryRegistry);
    const app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1'); // an HTTP app registers its service in listen()
    const service = app.get(RegistryService);
    expect(service.serviceKey).toBe('/services/users/me');
    expect(registry.read('/services/')).toEqual({ '/services/users/me': '10.0.0.5:3000' });
    await registry.addInstance('/services/users/other', 'x');
    await expect(service.register('/services/users/other', 'y')).rejects.toBeInstanceOf(ServiceConflictError);
    await app.close();
    expect(registry.read('/services/')).toEqual({ '/services/users/other': 'x' });
  });

  it('forRoot: a bad option fails the compilation with a RegistryOptionsError naming it', async () => {
    const error = await Test.createTestingModule({ imports: [EtcdRegistryTestingModule.forRoot({ ttlSeconds: 0 })] })
      .compile()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryOptionsError);
    expect((error as RegistryOptionsError).option).toBe('ttlSeconds');
  });

  it("overrideEtcdRegistry: the app's AppModule runs on the in-memory registry: its options factory never runs, no client, HTTP works", async () => {
    const registry = new InMemoryRegistry();
    await registry.addInstance('/services/users/u1', '10.0.0.1:1');
    const moduleRef = await overrideEtcdRegistry(Test.createTestingModule({ imports: [AppModule] }), {
      registry,
      service: { name: 'app', id: 'test', address: '127.0.0.1:1' },
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    apps.push(app);
    await app.listen(0, '127.0.0.1');
    const res = await fetch(`${await app.getUrl()}/users`);
    expect(await res.json()).toEqual(['10.0.0.1:1']);
    expect(registry.read('/services/app/')).toEqual({ '/services/app/test': '127.0.0.1:1' });
    expect(etcdClients).not.toHaveBeenCalled();
  });

  it('overrideProvider(ETCD_REGISTRY) alone also works: the client object is made but never connects, and is closed', async () => {
    const before = new Set(process.getActiveResourcesInfo());
    const registry = new InMemoryRegistry();
    const moduleRef = await Test.createTestingModule({
      imports: [EtcdRegistryModule.forRoot({ endpoints: ['127.0.0.1:9'], timeoutMs: 500 })],
      providers: [UsersPool],
    })
      .overrideProvider(ETCD_REGISTRY)
      .useValue(registry)
      .compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    await registry.addInstance('/services/users/u1', '10.0.0.1:1');
    expect(app.get(UsersPool).addresses).toEqual(['10.0.0.1:1']);
    const client = moduleRef.get<Etcd3>(ETCD_CLIENT);
    const close = jest.spyOn(client, 'close');
    expect(etcdClients).toHaveBeenCalledTimes(1);
    await app.close();
    expect(close).toHaveBeenCalled();
    const left = process.getActiveResourcesInfo().filter((r) => !before.has(r) && r !== 'TTYWrap');
    expect(left.filter((r) => /TCP|Timeout|Immediate/.test(r))).toEqual([]);
  });
});
