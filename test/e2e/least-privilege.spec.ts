import { INestApplication, Injectable } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { createRegistry, EtcdRegistryModule, RegistryAuthError, RegistryService, ServiceMap, WatchServices } from '../../lib';
import { enableEtcdAuth } from '../support/etcd-auth';
import { EtcdMember, EtcdServer, startEtcd } from '../support/etcd-launcher';
import { waitFor } from '../support/wait-for';

jest.setTimeout(60_000);

const WATCHED = '/lp-watched/';
const OWN = '/lp-own/';
const ROOT_PW = 'root-pw';

/** A watch-only application: one handler on WATCHED. */
@Injectable()
class WatchOnly {
  static maps: ServiceMap[] = [];
  @WatchServices(WATCHED)
  onWatched(map: ServiceMap) {
    WatchOnly.maps.push(map);
  }
}

describe('start-up check with least-privilege roles (etcd auth on)', () => {
  let etcd: EtcdServer & { member: EtcdMember };
  let app: INestApplication | undefined;
  const afterAllClose: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    etcd = await startEtcd();
    const auth = await enableEtcdAuth({ endpoints: etcd.endpoints, rootPassword: ROOT_PW });
    await auth.addUserWithPrefixes('watcher', 'watcher-pw', [WATCHED], 'read');
    await auth.addUserWithPrefixes('owner', 'owner-pw', [`${OWN}svc/`]);
    const root = createRegistry({ endpoints: etcd.endpoints, username: 'root', password: ROOT_PW });
    await root.register(`${WATCHED}a`, '10.0.0.1:1'); // lives while `root` is open
    afterAllClose.push(() => root.close());
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });
  afterAll(async () => {
    for (const close of afterAllClose) await close();
    await etcd?.stop();
  });

  async function start(imports: unknown[], providers: unknown[] = []): Promise<INestApplication> {
    const moduleRef = await Test.createTestingModule({ imports: imports as never[], providers: providers as never[] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    return app;
  }

  it('a watch-only app whose role may only read the watched prefix starts and gets the map', async () => {
    WatchOnly.maps = [];
    await start([EtcdRegistryModule.forRoot({ endpoints: etcd.endpoints, username: 'watcher', password: 'watcher-pw' })], [WatchOnly]);
    expect(WatchOnly.maps).toEqual([{ [`${WATCHED}a`]: '10.0.0.1:1' }]);
  });

  it('a service whose role covers only its own key space starts and registers', async () => {
    await start([
      EtcdRegistryModule.forRoot({
        endpoints: etcd.endpoints,
        username: 'owner',
        password: 'owner-pw',
        service: { name: 'svc', id: 'o1', address: 'h:1', prefix: OWN },
      }),
    ]);
    expect(await app!.get(RegistryService).getServices(`${OWN}svc/`)).toEqual({ [`${OWN}svc/o1`]: 'h:1' });
  });

  it('a watch-only app whose role lacks the watched prefix still fails fast with a RegistryAuthError', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [EtcdRegistryModule.forRoot({ endpoints: etcd.endpoints, username: 'owner', password: 'owner-pw' })],
      providers: [WatchOnly],
    }).compile();
    const failing = moduleRef.createNestApplication({ logger: false });
    const error = await failing.init().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RegistryAuthError);
    expect((error as Error).message).toContain(WATCHED);
    // A read was denied: read access is what it asks for, not readwrite.
    expect((error as Error).message).toMatch(/grant the user's role read \(or readwrite\)/);
    await failing.close();
  });

  it('empty ETCD_USERNAME= and ETCD_PASSWORD= (a .env file) mean no auth: the forRootAsync of docs/nest.md starts against an etcd without auth', async () => {
    const plain = await startEtcd();
    try {
      await start([
        ConfigModule.forRoot({
          ignoreEnvFile: true,
          load: [() => ({ ETCD_ENDPOINTS: plain.endpoints.join(','), ETCD_USERNAME: '', ETCD_PASSWORD: '' })],
        }),
        EtcdRegistryModule.forRootAsync({
          imports: [ConfigModule],
          inject: [ConfigService],
          useFactory: (config: ConfigService) => ({
            endpoints: config.getOrThrow<string>('ETCD_ENDPOINTS').split(','),
            username: config.get('ETCD_USERNAME'),
            password: config.get('ETCD_PASSWORD'),
            service: { name: 'env', id: 'e1', address: '127.0.0.1:3000', prefix: '/lp-env/' },
          }),
        }),
      ]);
      await waitFor(async () => (await app!.get(RegistryService).getServices('/lp-env/'))['/lp-env/env/e1'], {
        message: 'the registration',
      });
      await app!.close();
      app = undefined;
    } finally {
      await plain.stop();
    }
  });
});
