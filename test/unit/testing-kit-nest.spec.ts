import { Injectable, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { Test, TestingModule } from '@nestjs/testing';
import { RegistryEvent, RegistryService, ServiceConflictError, ServiceMap, WatchServices } from '../../lib';
import { EtcdRegistryHealthIndicator } from '../../lib/terminus';
import { EtcdRegistryTestingModule, InMemoryEtcd, InMemoryRegistry } from '../../lib/testing';

/** The Nest scenarios: what an application test observes with the kit is what it observes on etcd. */

@Injectable()
class UsersPool {
  addresses: string[] = [];
  @WatchServices('/services/users/')
  onUsers(services: ServiceMap) {
    this.addresses = Object.values(services).sort();
  }
}

@Module({ providers: [EtcdRegistryHealthIndicator], exports: [EtcdRegistryHealthIndicator], imports: [TerminusModule] })
class HealthModule {}

const service = (id: string) => ({ name: 'users', id, address: `10.0.0.${id}:80` });

describe('the testing kit in Nest applications: what a test observes is what it observes on etcd', () => {
  const apps: TestingModule[] = [];
  const app = async (options: Parameters<typeof EtcdRegistryTestingModule.forRoot>[0] = {}) => {
    const moduleRef = await Test.createTestingModule({
      imports: [EtcdRegistryTestingModule.forRoot({ isGlobal: true, ...options }), HealthModule],
      providers: [UsersPool],
    }).compile();
    apps.push(moduleRef);
    await moduleRef.init();
    return moduleRef;
  };
  afterEach(async () => {
    jest.useRealTimers();
    for (const moduleRef of apps.splice(0)) await moduleRef.close();
  });

  it('events$ emits registered, delivered and unregistered', async () => {
    const moduleRef = await app();
    const service = moduleRef.get(RegistryService);
    const seen: RegistryEvent['type'][] = [];
    const subscription = service.events$.subscribe((e) => seen.push(e.type));
    await service.register('/services/users/a', 'x');
    await moduleRef.get(InMemoryRegistry).settled();
    await service.unregister('/services/users/a');
    await moduleRef.get(InMemoryRegistry).settled();
    subscription.unsubscribe();
    expect(seen).toEqual(expect.arrayContaining(['registered', 'delivered', 'unregistered']));
  });

  it('during setUnavailable(true), ping() rejects and the terminus indicator is down with etcd unreachable; up once back', async () => {
    const moduleRef = await app();
    const registry = moduleRef.get(InMemoryRegistry);
    const health = moduleRef.get(EtcdRegistryHealthIndicator);
    await expect(health.isHealthy()).resolves.toMatchObject({ 'etcd-registry': { status: 'up', etcd: 'reachable' } });
    await registry.setUnavailable(true);
    await expect(moduleRef.get(RegistryService).ping()).rejects.toThrow(/in-memory/);
    await expect(health.isHealthy()).resolves.toMatchObject({ 'etcd-registry': { status: 'down', etcd: 'unreachable' } });
    await registry.setUnavailable(false);
    await expect(health.isHealthy()).resolves.toMatchObject({ 'etcd-registry': { status: 'up', etcd: 'reachable' } });
  });

  it('two applications on one InMemoryEtcd: each its own registry; a conflict is refused; closing one leaves the other working', async () => {
    const etcd = new InMemoryEtcd();
    const first = await app({ etcd, service: service('1') });
    const second = await app({ etcd, service: service('2') });
    expect(first.get(InMemoryRegistry)).not.toBe(second.get(InMemoryRegistry));
    await expect(second.get(RegistryService).register('/services/users/1', 'mine')).rejects.toBeInstanceOf(ServiceConflictError);
    await etcd.settled();
    expect(second.get(UsersPool).addresses).toEqual(['10.0.0.1:80', '10.0.0.2:80']);
    await first.close();
    apps.splice(apps.indexOf(first), 1);
    await etcd.settled();
    expect(second.get(UsersPool).addresses).toEqual(['10.0.0.2:80']);
    expect(second.get(InMemoryRegistry).status().closed).toBe(false);
    await second.get(RegistryService).register('/services/users/extra', 'e');
    expect(etcd.read('/services/users/')).toMatchObject({ '/services/users/extra': 'e' });
  });

  it('app.close() with drainMs ends under jest fake timers; the drain passed on the kit clock', async () => {
    jest.useFakeTimers();
    const etcd = new InMemoryEtcd();
    const moduleRef = await app({ etcd, service: service('9'), drainMs: 10_000 });
    const before = etcd.now();
    const closed = moduleRef.close().then(() => 'closed');
    apps.splice(apps.indexOf(moduleRef), 1);
    const outcome = await Promise.race([closed, new Promise((resolve) => jest.requireActual('timers').setTimeout(resolve, 5000, 'hung'))]);
    expect(outcome).toBe('closed');
    expect(etcd.now() - before).toBeGreaterThanOrEqual(9_000); // drainMs counted from the drain's start
    expect(etcd.read('/services/users/')).toEqual({});
  });
});
