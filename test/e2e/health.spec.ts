import { Controller, Get, INestApplication, Module, Query } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { EtcdRegistryModule, EtcdRegistryModuleOptions, RegistryService } from '../../lib';
import { EtcdRegistryHealthIndicator, RegistryHealthCheck } from '../../lib/terminus';
import { EtcdServer, useEtcd } from '../support/etcd-launcher';
import { FaultProxy, startFaultProxy } from '../support/fault-proxy';
import { withNestApps } from '../support/nest-app';
import { uniquePrefix } from '../support/registry-fixtures';
import { waitFor } from '../support/wait-for';

jest.setTimeout(60_000);

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly etcd: EtcdRegistryHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check(@Query('checks') checks?: string) {
    const only = checks ? (checks.split(',') as RegistryHealthCheck[]) : undefined;
    return this.health.check([() => this.etcd.isHealthy('etcd-registry', { checks: only, timeoutMs: 500 })]);
  }
}

interface Health {
  status: string;
  details: Record<string, { status: string; reasons: string[]; [k: string]: unknown }>;
}

/** The terminus indicator, each down reason provoked for real. */
describe('EtcdRegistryHealthIndicator (real etcd)', () => {
  let etcd: EtcdServer;
  let proxy: FaultProxy;
  const apps = withNestApps();

  beforeAll(async () => {
    etcd = await useEtcd();
  });
  afterAll(() => etcd?.stop());
  beforeEach(async () => {
    proxy = await startFaultProxy(etcd.endpoints);
  });
  afterEach(() => proxy.close());

  async function start(
    options: Partial<EtcdRegistryModuleOptions>,
  ): Promise<{ app: INestApplication; get: (q?: string) => Promise<{ code: number; body: Health }> }> {
    @Module({
      imports: [TerminusModule, EtcdRegistryModule.forRoot({ endpoints: proxy.endpoints, timeoutMs: 1500, ...options })],
      controllers: [HealthController],
      providers: [EtcdRegistryHealthIndicator],
    })
    class HealthAppModule {}
    const app = await apps.start({ imports: [HealthAppModule] });
    const url = await app.getUrl();
    const get = async (q = '') => {
      const res = await fetch(`${url.replace('[::1]', '127.0.0.1')}/health${q}`);
      return { code: res.status, body: (await res.json()) as Health };
    };
    return { app, get };
  }

  const details = (h: Health) => h.details['etcd-registry'];

  it('up with the details: etcd reachable, the lease, the registration and each watch', async () => {
    const prefix = uniquePrefix('health');
    const { app, get } = await start({ service: { name: 'users', id: 'u1', address: '127.0.0.1:1', prefix } });
    await app.get(RegistryService).addWatch(prefix, () => undefined);
    const { code, body } = await get();
    expect(code).toBe(200);
    expect(details(body)).toMatchObject({
      status: 'up',
      reasons: [],
      etcd: 'reachable',
      lease: { id: expect.any(String), ttlSeconds: 5 },
      registration: { path: `${prefix}users/u1`, state: 'registered' },
      draining: false,
      watches: [{ prefix, live: true }],
    });
  });

  it('down when etcd is unreachable, and when the lease is lost (link cut longer than the TTL); up again once healed', async () => {
    const prefix = uniquePrefix('health');
    const { get } = await start({ ttlSeconds: 2, service: { name: 'users', id: 'u1', address: '127.0.0.1:1', prefix } });
    proxy.blackhole();
    const unreachable = await get('?checks=etcd');
    expect(unreachable.code).toBe(503);
    expect(details(unreachable.body)).toMatchObject({
      status: 'down',
      etcd: 'unreachable',
      reasons: [expect.stringMatching(/^etcd unreachable: /)],
    });
    // The lease is lost after about 2 x TTL without a keep-alive.
    const lost = await waitFor(
      async () => {
        const h = await get('?checks=lease');
        return h.code === 503 ? h : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 200, message: 'the lease lost' },
    );
    expect(details(lost.body)).toMatchObject({
      status: 'down',
      lease: null,
      reasons: [expect.stringMatching(/^lease lost: 1 registered key/)],
    });
    proxy.heal();
    const back = await waitFor(
      async () => {
        const h = await get();
        return h.code === 200 ? h : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 100, message: 'healthy again' },
    );
    expect(details(back.body)).toMatchObject({ status: 'up', registration: { state: 'registered' } });
  });

  it('down while the instance is not registered (autoRegister: false), up once it is, down again while draining', async () => {
    const prefix = uniquePrefix('health');
    const { app, get } = await start({
      autoRegister: false,
      drainMs: 1500,
      service: { name: 'users', id: 'u1', address: '127.0.0.1:1', prefix, codec: 'json' },
    });
    const before = await get();
    expect(before.code).toBe(503);
    expect(details(before.body)).toMatchObject({
      registration: { state: 'not registered' },
      reasons: [`registration missing: "${prefix}users/u1" is not registered`],
    });
    await app.get(RegistryService).registerService();
    expect((await get()).code).toBe(200);
    const closing = apps.close(app);
    const draining = await waitFor(
      async () => {
        const h = await get();
        return h.code === 503 ? h : undefined;
      },
      { timeoutMs: 1000, intervalMs: 20, message: 'down while draining' },
    );
    expect(details(draining.body)).toMatchObject({ draining: true, registration: { state: 'draining' } });
    await closing;
  });

  it('down when a watch is not live (a watch-only application cut from etcd)', async () => {
    const prefix = uniquePrefix('health');
    const { app, get } = await start({});
    await app.get(RegistryService).addWatch(prefix, () => undefined);
    expect((await get()).code).toBe(200);
    proxy.cut();
    const stale = await waitFor(
      async () => {
        const h = await get('?checks=watches');
        return h.code === 503 ? h : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 50, message: 'the watch not live' },
    );
    expect(details(stale.body)).toMatchObject({
      watches: [{ prefix, live: false, staleForMs: expect.any(Number) }],
      reasons: [expect.stringMatching(new RegExp(`^watch not live: "${prefix}"`))],
    });
    // No registration expected of a watch-only app.
    expect(details(stale.body).registration).toBeUndefined();
  });
});
