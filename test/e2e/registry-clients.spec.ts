import { Inject, Injectable } from '@nestjs/common';
import { ClientProxy, Transport } from '@nestjs/microservices';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import {
  EtcdRegistryModule,
  InstanceEjectedEvent,
  NoInstanceAddressError,
  NoLiveInstanceError,
  RegistryOptionsError,
  RegistryService,
  UnknownServiceError,
} from '../../lib';
import { RegistryClientProxy, RegistryClientsModule } from '../../lib/microservices';
import { withNestApps } from '../support/nest-app';
import { uniquePrefix, withEtcd } from '../support/registry-fixtures';
import { UserServiceFleet } from '../support/user-service-fleet';
import { waitFor } from '../support/wait-for';

jest.setTimeout(90_000);

@Injectable()
class UsersCaller {
  constructor(@Inject('USERS') readonly users: ClientProxy) {}

  async servedBy(id: string): Promise<string> {
    return (await firstValueFrom(this.users.send<{ servedBy: string }>('get-user', { id }))).servedBy;
  }
}

describe('RegistryClientsModule: Nest microservice clients by service name (real etcd, real Nest apps, TCP)', () => {
  const t = withEtcd();
  const apps = withNestApps();
  let prefix: string;
  let fleet: UserServiceFleet;

  beforeEach(() => {
    prefix = uniquePrefix('ms');
    fleet = new UserServiceFleet(t.etcd.endpoints, prefix);
  });
  afterEach(() => fleet.stopAll());

  async function caller(extra: Partial<Parameters<typeof RegistryClientsModule.register>[0][0]> = {}) {
    const app = await apps.start({
      imports: [
        EtcdRegistryModule.forRoot({ endpoints: t.etcd.endpoints, timeoutMs: 3000, isGlobal: true }),
        RegistryClientsModule.register([
          { name: 'USERS', service: 'user-service', transport: Transport.TCP, prefix, codec: 'json', ...extra },
        ]),
      ],
      providers: [UsersCaller],
    });
    const users = app.get<RegistryClientProxy>('USERS');
    return { app, caller: app.get(UsersCaller), users };
  }

  it('send goes to the live instances round robin, one connection per instance; emit reaches an instance', async () => {
    const started = await Promise.all(['u1', 'u2', 'u3'].map((id) => fleet.start(id)));
    const { caller: c, users } = await caller();
    const seen = [];
    for (let i = 0; i < 6; i++) seen.push(await c.servedBy(String(i)));
    expect(seen.slice(0, 3).sort()).toEqual(['u1', 'u2', 'u3']);
    expect(seen.slice(3)).toEqual(seen.slice(0, 3));
    expect(users.balancerStatus().connections).toBe(3);
    await lastValueFrom(users.emit('user-seen', { id: '1' }), { defaultValue: undefined });
    await waitFor(() => started.some((p) => /seen 1/.test(p.output)), { message: 'an instance to get the event' });
  });

  it('one instance SIGKILLed under load: zero failed idempotent sends, the instance ejected, its connection closed when it leaves', async () => {
    const [, victim] = await Promise.all(['u1', 'u2', 'u3'].map((id) => fleet.start(id)));
    const { caller: c, users } = await caller({ retry: { idempotent: true } });
    const ejected: InstanceEjectedEvent[] = [];
    users.events.on('ejected', (e) => ejected.push(e));
    const counts = { ok: 0, errors: [] as string[], by: new Map<string, number>() };
    let stop = false;
    const worker = async (w: number) => {
      for (let i = 0; !stop; i++) {
        try {
          const by = await c.servedBy(`${w}-${i}`);
          counts.ok++;
          counts.by.set(by, (counts.by.get(by) ?? 0) + 1);
        } catch (e) {
          counts.errors.push(e instanceof Error ? e.message : JSON.stringify(e));
        }
      }
    };
    const load = Promise.all([...Array(8)].map((_, w) => worker(w)));
    await waitFor(() => counts.ok > 300, { timeoutMs: 20_000, message: 'load to run' });
    const before = counts.by.get(victim.id) ?? 0;
    await victim.kill();
    await waitFor(() => ejected.some((e) => e.key.endsWith(`/${victim.id}`)), {
      timeoutMs: 5000,
      message: 'the killed instance to be ejected',
    });
    await waitFor(() => users.balancerStatus().services[0].instances.length === 2 && users.balancerStatus().connections === 2, {
      timeoutMs: 10_000,
      message: 'the killed instance to leave the map and its connection to be closed',
    });
    const okAtGone = counts.ok;
    await waitFor(() => counts.ok > okAtGone + 200, { timeoutMs: 20_000, message: 'load to go on' });
    stop = true;
    await load;
    process.stdout.write(
      `TCP under SIGKILL: ${counts.ok} sends ok, ${counts.errors.length} failed; victim served ${before} before the kill\n`,
    );
    expect(counts.errors).toEqual([]);
    expect(before).toBeGreaterThan(0);
  });

  it('bad input fails at the call, at once, naming the service: unknown name, no live instance, no tcp address', async () => {
    await fleet.start('u1');
    const app = await apps.start({
      imports: [
        EtcdRegistryModule.forRoot({ endpoints: t.etcd.endpoints, timeoutMs: 3000, isGlobal: true }),
        RegistryClientsModule.register([
          { name: 'TYPO', service: 'user-servise', prefix, codec: 'json' },
          { name: 'DRAINING', service: 'draining-service', prefix, codec: 'json' },
          { name: 'HTTP_ONLY', service: 'http-only', prefix, codec: 'json' },
        ]),
      ],
    });
    const registry = app.get(RegistryService);
    await registry.register(`${prefix}draining-service/d1`, JSON.stringify({ v: 1, address: '127.0.0.1:1', status: 'draining' }));
    await registry.register(`${prefix}http-only/h1`, JSON.stringify({ v: 1, address: '127.0.0.1:1', endpoints: ['http://127.0.0.1:1'] }));
    await waitFor(() => app.get<RegistryClientProxy>('TYPO').loadBalancer.serviceNames().length === 3, {
      message: 'the map to list the three services',
    });
    const call = async (token: string) => {
      const t0 = Date.now();
      const error = await firstValueFrom(app.get<ClientProxy>(token).send('get-user', { id: 1 })).catch((e: unknown) => e);
      return { error: error as Error, ms: Date.now() - t0 };
    };
    const typo = await call('TYPO');
    expect(typo.error).toBeInstanceOf(UnknownServiceError);
    expect(typo.error.message).toContain('No service named "user-servise"');
    const draining = await call('DRAINING');
    expect(draining.error).toBeInstanceOf(NoLiveInstanceError);
    expect(draining.error.message).toContain('"draining-service"');
    const httpOnly = await call('HTTP_ONLY');
    expect(httpOnly.error).toBeInstanceOf(NoInstanceAddressError);
    expect(httpOnly.error.message).toMatch(
      /"http-only" has an address for tcp \(instances: h1\): register an endpoint such as "tcp:\/\/host:port"/,
    );
    for (const r of [typo, draining, httpOnly]) expect(r.ms).toBeLessThan(200);
  });

  it('a transport other than TCP fails the start, naming the client', async () => {
    const app = await apps
      .create({
        imports: [
          EtcdRegistryModule.forRoot({ endpoints: t.etcd.endpoints, timeoutMs: 3000, isGlobal: true }),
          RegistryClientsModule.register([{ name: 'USERS', service: 'user-service', transport: Transport.REDIS as never }]),
        ],
      })
      .catch((e: unknown) => e);
    expect(app).toBeInstanceOf(RegistryOptionsError);
    expect((app as Error).message).toMatch(/Client "USERS": transport .* is not supported by name: use Transport.TCP/);
  });
});
