import { Inject, Injectable } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { ClientProxy, Transport } from '@nestjs/microservices';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import {
  AttemptTimeoutError,
  EtcdRegistryModule,
  InstanceEjectedEvent,
  NoInstanceAddressError,
  NoLiveInstanceError,
  RegistryOptionsError,
  RegistryService,
  UnknownServiceError,
} from '../../lib';
import { isInternalServerError, RegistryClientOptions, RegistryClientProxy, RegistryClientsModule } from '../../lib/microservices';
import { withNestApps } from '../support/nest-app';
import { uniquePrefix, withEtcd } from '../support/registry-fixtures';
import { pacedLoad } from '../support/paced-load';
import { UserServiceFleet } from '../support/user-service-fleet';
import { failures, within } from '../support/settled';
import { waitFor } from '../support/wait-for';

const describeError = (e: unknown) => (e instanceof Error ? e.message : JSON.stringify(e));

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

  async function caller(extra: Partial<Parameters<typeof RegistryClientsModule.forRoot>[0]['clients'][number]> = {}) {
    const app = await apps.start({
      imports: [
        EtcdRegistryModule.forRoot({ endpoints: t.etcd.endpoints, timeoutMs: 3000, isGlobal: true }),
        RegistryClientsModule.forRoot({
          clients: [{ name: 'USERS', service: 'user-service', transport: Transport.TCP, prefix, codec: 'json', ...extra }],
        }),
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
    users.events.on('instance-ejected', (e) => ejected.push(e));
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
        RegistryClientsModule.forRoot({
          clients: [
            { name: 'TYPO', service: 'user-servise', prefix, codec: 'json' },
            { name: 'DRAINING', service: 'draining-service', prefix, codec: 'json' },
            { name: 'HTTP_ONLY', service: 'http-only', prefix, codec: 'json' },
          ],
        }),
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
          RegistryClientsModule.forRoot({ clients: [{ name: 'USERS', service: 'user-service', transport: Transport.REDIS as never }] }),
        ],
      })
      .catch((e: unknown) => e);
    expect(app).toBeInstanceOf(RegistryOptionsError);
    expect((app as Error).message).toMatch(/Client "USERS": transport .* is not supported by name: use Transport.TCP/);
  });

  /** A caller app with two clients of user-service: USERS (at most once) and USERS_IDEMPOTENT, with `extra` options each. */
  async function twoClients(extra: Partial<RegistryClientOptions> = {}) {
    const base = { service: 'user-service', transport: Transport.TCP as const, prefix, codec: 'json' as const, ...extra };
    const app = await apps.start({
      imports: [
        EtcdRegistryModule.forRoot({ endpoints: t.etcd.endpoints, timeoutMs: 3000, isGlobal: true }),
        RegistryClientsModule.forRoot({
          clients: [
            { name: 'USERS', ...base },
            { name: 'USERS_IDEMPOTENT', ...base, retry: { ...extra.retry, idempotent: true } },
          ],
        }),
      ],
    });
    return { once: app.get<RegistryClientProxy>('USERS'), idempotent: app.get<RegistryClientProxy>('USERS_IDEMPOTENT') };
  }

  it('one of three instances SIGSTOPped at ~200 calls/s: 0 failed idempotent sends, none outlives attemptTimeoutMs + deadlineMs, the hung one ejected; at-most-once sends it held fail fast naming it', async () => {
    const [, victim] = await Promise.all(['u1', 'u2', 'u3'].map((id) => fleet.start(id)));
    const { once, idempotent } = await twoClients({ attemptTimeoutMs: 500 });
    const ejected: InstanceEjectedEvent[] = [];
    idempotent.events.on('instance-ejected', (e) => ejected.push(e));
    const victimKey = `${prefix}user-service/${victim.id}`;
    // 4 s at 200 calls/s, one at-most-once send in ten; the victim hangs 0.5 s in.
    const results = await within(
      pacedLoad(200, 800, (i) => {
        if (i === 100) victim.pause();
        return firstValueFrom((i % 10 === 5 ? once : idempotent).send<{ servedBy: string }>('get-user', { id: String(i) }));
      }),
      20_000,
      'sends to the hung instance',
    );
    const idem = results.filter((_, i) => i % 10 !== 5);
    const onceErrors = failures(results.filter((_, i) => i % 10 === 5));
    const slowest = Math.max(...results.map((r) => r.ms));
    process.stdout.write(
      `TCP under SIGSTOP (attemptTimeoutMs 500): ${idem.length} idempotent sends, ${failures(idem).length} failed; ` +
        `${results.length - idem.length} at-most-once, ${onceErrors.length} failed with the attempt deadline; slowest ${slowest} ms\n`,
    );
    expect(failures(idem).map(describeError)).toEqual([]);
    expect(slowest).toBeLessThan(500 + 5000);
    expect(ejected.map((e) => e.key)).toContain(victimKey);
    for (const e of onceErrors) {
      expect(e).toBeInstanceOf(AttemptTimeoutError);
      expect(e).toMatchObject({ key: victimKey, timeoutMs: 500 });
      expect(e.message).toContain(
        `${victimKey} (127.0.0.1:${victim.tcpPort}) within 500 ms (attemptTimeoutMs); not retried: pattern "get-user" is not idempotent`,
      );
    }
  });

  it('an instance whose handler throws (Nest answers "Internal server error") is ejected within 1 s at ~200 calls/s; with retry.errors no idempotent send fails', async () => {
    await Promise.all([fleet.start('u1'), fleet.start('u2'), fleet.start('u3', { RPC_FAIL: '1' })]);
    const { idempotent } = await twoClients({ retry: { errors: isInternalServerError } });
    const ejected: Array<InstanceEjectedEvent & { afterMs: number }> = [];
    const t0 = Date.now();
    idempotent.events.on('instance-ejected', (e) => ejected.push({ ...e, afterMs: Date.now() - t0 }));
    const results = await within(
      pacedLoad(200, 400, (i) => firstValueFrom(idempotent.send<{ servedBy: string }>('get-user', { id: String(i) }))),
      20_000,
      'the sends',
    );
    const u3 = ejected.find((e) => e.key.endsWith('/u3'));
    process.stdout.write(
      `TCP with a throwing handler: ${results.length} sends, ${failures(results).length} failed; ejected after ${u3?.afterMs} ms\n`,
    );
    expect(failures(results).map(describeError)).toEqual([]);
    expect(u3).toMatchObject({ failures: 5 });
    expect(u3!.afterMs).toBeLessThan(1000);
  });

  it('a rolling restart of two instances (300 ms handlers, drainMs 1000) under load: 0 failed, 0 duplicated sends', async () => {
    const env = { DELAY_MS: '300', DRAIN_MS: '1000', LOG_CALLS: '1' };
    const old = await Promise.all(['u1', 'u2'].map((id) => fleet.start(id, env)));
    const { once, idempotent } = await twoClients();
    let restarted = false;
    const load = pacedLoad(
      100,
      10_000,
      (i) => firstValueFrom((i % 2 ? once : idempotent).send<{ servedBy: string }>('get-user', { id: `c${i}` })),
      () => restarted,
    );
    for (const p of old) {
      await fleet.start(`${p.id}b`, env);
      await p.terminate();
    }
    restarted = true;
    const results = await within(load, 20_000, 'the sends');
    const handled = new Map<string, number>();
    for (const p of fleet.all) for (const [, id] of p.output.matchAll(/^handled (c\d+)$/gm)) handled.set(id, (handled.get(id) ?? 0) + 1);
    const twice = [...handled].filter(([, n]) => n > 1).map(([id]) => id);
    process.stdout.write(
      `TCP rolling restart (300 ms handlers, drainMs 1000): ${results.length} sends, ${failures(results).length} failed, ${twice.length} handled twice\n`,
    );
    expect(failures(results).map(describeError)).toEqual([]);
    expect(twice).toEqual([]);
    expect(handled.size).toBe(results.length);
  });

  it("forRootAsync takes the clients' options from a factory (ConfigService), their tokens given beside it", async () => {
    await fleet.start('u1');
    const app = await apps.start({
      imports: [
        EtcdRegistryModule.forRoot({ endpoints: t.etcd.endpoints, timeoutMs: 3000, isGlobal: true }),
        ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ USERS_PREFIX: prefix })] }),
        RegistryClientsModule.forRootAsync({
          names: ['USERS'],
          imports: [ConfigModule],
          inject: [ConfigService],
          useFactory: (config: ConfigService) => ({
            clients: [{ name: 'USERS', service: 'user-service', prefix: config.get<string>('USERS_PREFIX'), codec: 'json' }],
          }),
        }),
      ],
      providers: [UsersCaller],
    });
    expect(await app.get(UsersCaller).servedBy('1')).toBe('u1');
    expect(app.get<RegistryClientProxy>('USERS').loadBalancer.prefix).toBe(prefix);
  });

  it('forRootAsync: names are required, and a name the factory does not give fails the start naming it', async () => {
    expect(() => RegistryClientsModule.forRootAsync({ names: [], useFactory: () => ({ clients: [] }) })).toThrow(
      /forRootAsync needs "names": the injection tokens of the clients its factory gives/,
    );
    const error = await apps
      .create({
        imports: [
          EtcdRegistryModule.forRoot({ endpoints: t.etcd.endpoints, timeoutMs: 3000, isGlobal: true }),
          RegistryClientsModule.forRootAsync({
            names: ['USERS'],
            useFactory: () => ({ clients: [{ name: 'USER', service: 'user-service', prefix }] }),
          }),
        ],
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryOptionsError);
    expect((error as Error).message).toMatch(/Client "USER" was returned by forRootAsync's factory but is not in its "names"/);
  });
});
