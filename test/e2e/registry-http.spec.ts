import { INestApplication } from '@nestjs/common';
import { firstValueFrom } from 'rxjs';
import {
  EtcdRegistryModule,
  InstanceEjectedEvent,
  NoInstanceAddressError,
  NoLiveInstanceError,
  RegistryOptionsError,
  RegistryService,
  UnknownServiceError,
} from '../../lib';
import { RegistryHttpModule, RegistryHttpService } from '../../lib/axios';
import { withNestApps } from '../support/nest-app';
import { uniquePrefix, withEtcd } from '../support/registry-fixtures';
import { UserServiceFleet } from '../support/user-service-fleet';
import { waitFor } from '../support/wait-for';

jest.setTimeout(90_000);

describe('RegistryHttpService: HTTP by service name (real etcd, real Nest apps in child processes, real sockets)', () => {
  const t = withEtcd();
  const apps = withNestApps();
  let prefix: string;
  let fleet: UserServiceFleet;

  beforeEach(() => {
    prefix = uniquePrefix('http');
    fleet = new UserServiceFleet(t.etcd.endpoints, prefix);
  });
  afterEach(() => fleet.stopAll());

  async function gateway(
    options: Parameters<typeof RegistryHttpModule.register>[0] = {},
  ): Promise<{ app: INestApplication; http: RegistryHttpService }> {
    const app = await apps.start({
      imports: [
        EtcdRegistryModule.forRoot({ endpoints: t.etcd.endpoints, timeoutMs: 3000, isGlobal: true }),
        RegistryHttpModule.register({ prefix, codec: 'json', ...options }),
      ],
    });
    return { app, http: app.get(RegistryHttpService) };
  }

  const servedBy = async (http: RegistryHttpService, url: string) =>
    (await firstValueFrom(http.get<{ servedBy: string }>(url))).data.servedBy;

  it('sends http://user-service/... to the live instances, round robin by default', async () => {
    await Promise.all(['u1', 'u2', 'u3'].map((id) => fleet.start(id)));
    const { http } = await gateway();
    const seen = [];
    for (let i = 0; i < 6; i++) seen.push(await servedBy(http, `http://user-service/users/${i}`));
    expect(seen.slice(0, 3).sort()).toEqual(['u1', 'u2', 'u3']);
    expect(seen.slice(3)).toEqual(seen.slice(0, 3));
    // baseURL works too, and POST bodies go through.
    const post = await firstValueFrom(http.post('http://user-service/users', { name: 'ada' }));
    expect(post.data).toMatchObject({ name: 'ada' });
    expect(http.status().services[0]).toMatchObject({ service: 'user-service', ejected: 0 });
    expect(http.status().services[0].instances).toHaveLength(3);
  });

  it('one instance SIGKILLed under load: zero failed idempotent calls, the dead instance ejected, then gone with its lease', async () => {
    const [, victim] = await Promise.all(['u1', 'u2', 'u3'].map((id) => fleet.start(id)));
    const { http } = await gateway();
    const ejected: InstanceEjectedEvent[] = [];
    http.events.on('ejected', (e) => ejected.push(e));
    const counts = { ok: 0, failed: 0, errors: [] as string[], by: new Map<string, number>() };
    let stop = false;
    const worker = async (w: number) => {
      for (let i = 0; !stop; i++) {
        try {
          const by = await servedBy(http, `http://user-service/users/${w}-${i}`);
          counts.ok++;
          counts.by.set(by, (counts.by.get(by) ?? 0) + 1);
        } catch (e) {
          counts.failed++;
          counts.errors.push(e instanceof Error ? `${(e as { code?: string }).code ?? ''} ${e.message}` : String(e));
        }
      }
    };
    const load = Promise.all([...Array(8)].map((_, w) => worker(w)));
    await waitFor(() => counts.ok > 300, { timeoutMs: 20_000, message: 'load to run' });
    const before = counts.by.get(victim.id) ?? 0;
    await victim.kill();
    const killedAt = Date.now();
    await waitFor(() => ejected.some((e) => e.key.endsWith(`/${victim.id}`)), {
      timeoutMs: 5000,
      message: 'the killed instance to be ejected',
    });
    const ejectedAfterMs = Date.now() - killedAt;
    // Its lease (TTL 2 s) expires: the key leaves the map and the balancer forgets it.
    await waitFor(() => http.status().services[0].instances.length === 2, {
      timeoutMs: 10_000,
      message: 'the killed instance to leave the map',
    });
    const okAtGone = counts.ok;
    await waitFor(() => counts.ok > okAtGone + 200, { timeoutMs: 20_000, message: 'load to go on' });
    stop = true;
    await load;
    process.stdout.write(
      `HTTP under SIGKILL: ${counts.ok} calls ok, ${counts.failed} failed; victim served ${before} before the kill; ejected ${ejectedAfterMs} ms after the kill\n`,
    );
    expect(counts.errors).toEqual([]);
    expect(counts.failed).toBe(0);
    expect(before).toBeGreaterThan(0);
  });

  it('a refused connection is retried on another instance even for POST; an HTTP error answer is returned as is', async () => {
    await fleet.start('u1');
    const dead = await fleet.start('u2');
    await dead.kill();
    const { http } = await gateway({ picker: 'round-robin', ejection: { consecutiveFailures: 0 } });
    for (let i = 0; i < 4; i++) {
      const res = await firstValueFrom(http.post<{ servedBy: string }>('http://user-service/users', { name: `n${i}` }));
      expect(res.data.servedBy).toBe('u1');
    }
    await expect(firstValueFrom(http.get('http://user-service/nowhere'))).rejects.toMatchObject({ response: { status: 404 } });
  });

  it('bad input fails at the call, at once, naming the service: unknown name, no live instance, no HTTP address, not a by-name URL', async () => {
    await fleet.start('u1');
    const { app, http } = await gateway();
    const registry = app.get(RegistryService);
    await registry.register(`${prefix}draining-service/d1`, JSON.stringify({ v: 1, address: '127.0.0.1:1', status: 'draining' }));
    await registry.register(`${prefix}tcp-only/t1`, JSON.stringify({ v: 1, address: '127.0.0.1:1', endpoints: ['tcp://127.0.0.1:1'] }));
    await waitFor(() => http.loadBalancer.serviceNames().length === 3, { message: 'the map to list the three services' });
    const timed = async (url: string) => {
      const t0 = Date.now();
      const error = await firstValueFrom(http.get(url)).catch((e: unknown) => e);
      return { error, ms: Date.now() - t0 };
    };
    const unknown = await timed('http://user-servise/users/1');
    expect(unknown.error).toBeInstanceOf(UnknownServiceError);
    expect((unknown.error as Error).message).toMatch(
      /No service named "user-servise" is registered under ".*" \(services there: .*user-service/,
    );
    const draining = await timed('http://draining-service/x');
    expect(draining.error).toBeInstanceOf(NoLiveInstanceError);
    expect((draining.error as Error).message).toContain('"draining-service"');
    const tcpOnly = await timed('http://tcp-only/x');
    expect(tcpOnly.error).toBeInstanceOf(NoInstanceAddressError);
    expect((tcpOnly.error as Error).message).toMatch(/"tcp-only" has an address for http \(instances: t1\)/);
    const notByName = await timed('/users/1');
    expect((notByName.error as Error).message).toMatch(/must look like "http:\/\/<service-name>\/path"/);
    for (const r of [unknown, draining, tcpOnly, notByName]) expect(r.ms).toBeLessThan(200);
  });

  it('without a global EtcdRegistryModule the start fails, saying so; a bad option fails the start naming it', async () => {
    const app = await apps.create({ imports: [RegistryHttpModule.register()] });
    const error = await app.init().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryOptionsError);
    expect((error as Error).message).toContain('import EtcdRegistryModule.forRoot({ ..., isGlobal: true })');
    const bad = await apps
      .create({
        imports: [
          EtcdRegistryModule.forRoot({ endpoints: t.etcd.endpoints, isGlobal: true }),
          RegistryHttpModule.register({ picker: 'fastest' as never }),
        ],
      })
      .then((a) => a.init())
      .catch((e: unknown) => e);
    expect((bad as Error).message).toMatch(/Option "picker" must be one of/);
  });
});
