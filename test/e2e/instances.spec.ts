import { INestApplication, Injectable, Module } from '@nestjs/common';
import { withNestApps } from '../support/nest-app';
import { Etcd3 } from 'etcd3';
import { EtcdRegistryModule, InstanceMap, RegistryService, ServiceMap, WatchServices } from '../../lib';
import { EtcdServer, startEtcd } from '../support/etcd-launcher';
import { rawClient } from '../support/registry-probe';
import { waitFor } from '../support/wait-for';

jest.setTimeout(30_000);

const ROOT = `/e2e-instances-${process.pid}/`;

@Injectable()
class FleetWatcher {
  readonly instanceMaps: InstanceMap[] = [];
  readonly plainMaps: ServiceMap[] = [];

  @WatchServices(`${ROOT}json/`, { as: 'instances', codec: 'json' })
  onInstances(instances: InstanceMap): void {
    this.instanceMaps.push(instances);
  }

  @WatchServices(`${ROOT}json/`)
  onMap(services: ServiceMap): void {
    this.plainMaps.push(services);
  }
}

describe('instances in a Nest application (real etcd)', () => {
  let etcd: EtcdServer;
  let client: Etcd3;
  const apps = withNestApps();
  const start = (module: unknown): Promise<INestApplication> => apps.start({ imports: [module as never] });

  beforeAll(async () => {
    etcd = await startEtcd();
    client = rawClient(etcd.endpoints);
  });

  afterAll(async () => {
    client?.close();
    await etcd?.stop();
  });

  it('@WatchServices(prefix, { as: "instances", codec: "json" }) gets typed instances of a service registered with codec json, before listen() resolves', async () => {
    @Module({
      imports: [
        EtcdRegistryModule.forRoot({
          endpoints: etcd.endpoints,
          service: {
            name: 'users',
            id: 'u1',
            address: '127.0.0.1:3001',
            prefix: `${ROOT}json/`,
            codec: 'json',
            version: '2.1.0',
            zone: 'z1',
            metadata: { team: 'identity' },
            endpoints: ['http://127.0.0.1:3001'],
          },
        }),
      ],
    })
    class UsersApp {}
    await start(UsersApp);
    // A Go etcdService instance beside it: plain host:port.
    await client.put(`${ROOT}json/users/go-1`).value('10.0.0.9:3000');

    @Module({ imports: [EtcdRegistryModule.forRoot({ endpoints: etcd.endpoints })], providers: [FleetWatcher] })
    class GatewayApp {}
    const gateway = await start(GatewayApp);
    const watcher = gateway.get(FleetWatcher);
    expect(watcher.instanceMaps.length).toBeGreaterThanOrEqual(1);
    const users = watcher.instanceMaps[watcher.instanceMaps.length - 1].get('users');
    expect(users).toEqual([
      expect.objectContaining({ id: 'go-1', address: '10.0.0.9:3000', codec: 'etcd-service' }),
      expect.objectContaining({
        id: 'u1',
        address: '127.0.0.1:3001',
        version: '2.1.0',
        zone: 'z1',
        metadata: { team: 'identity' },
        endpoints: ['http://127.0.0.1:3001'],
        status: 'up',
        codec: 'json',
      }),
    ]);
    // The plain map stays the default, on the same prefix.
    expect(watcher.plainMaps[watcher.plainMaps.length - 1][`${ROOT}json/users/go-1`]).toBe('10.0.0.9:3000');

    await client.delete().key(`${ROOT}json/users/go-1`);
    await waitFor(() => watcher.instanceMaps[watcher.instanceMaps.length - 1].get('users')?.length === 1, { message: 'go-1 gone' });
  });

  it('RegistryService.watchInstances / getInstances with a codec; a bad codec is refused naming it', async () => {
    const prefix = `${ROOT}naming/`;
    @Module({
      imports: [
        EtcdRegistryModule.forRoot({
          endpoints: etcd.endpoints,
          service: { name: 'greeter', address: '127.0.0.1:5001', prefix, codec: 'grpc-naming' },
        }),
      ],
    })
    class GreeterApp {}
    const app = await start(GreeterApp);
    const registry = app.get(RegistryService);
    expect(registry.serviceKey).toBe(`${prefix}greeter/127.0.0.1:5001`);
    expect(await client.get(`${prefix}greeter/127.0.0.1:5001`).string()).toBe('{"Op":0,"Addr":"127.0.0.1:5001","Metadata":null}');

    const seen: InstanceMap[] = [];
    const sub = await registry.watchInstances(prefix, (m) => void seen.push(m), { codec: 'grpc-naming' });
    expect(seen[0].get('greeter')?.map((i) => i.address)).toEqual(['127.0.0.1:5001']);
    expect((await registry.getInstances(prefix, { codec: 'grpc-naming' })).get('greeter')?.[0].id).toBe('127.0.0.1:5001');
    await sub.remove();
    await expect(registry.getInstances(prefix, { codec: 'zookeeper' as never })).rejects.toThrow(/Argument "codec" must be one of/);
  });

  it('a @WatchServices option error names the option when the class is declared', () => {
    const declare = (options: unknown) => () => {
      class Bad {
        @WatchServices('/s/', options as never)
        on(): void {}
      }
      return Bad;
    };
    expect(declare({ as: 'list' })).toThrow(/option "as" must be "map"/);
    expect(declare({ as: 'instances', codec: 'consul' })).toThrow(/option "codec" must be one of/);
    expect(declare({ codec: 'json' })).toThrow(/add as: "instances"/);
    expect(declare('instances')).toThrow(/options must be an object/);
  });
});
