import { INestApplication } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { firstValueFrom, timeout } from 'rxjs';
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
import { RegistryHttpModule, RegistryHttpService } from '../../lib/axios';
import { withNestApps } from '../support/nest-app';
import { uniquePrefix, withEtcd } from '../support/registry-fixtures';
import { pacedLoad } from '../support/paced-load';
import { UserServiceFleet } from '../support/user-service-fleet';
import { failures, within } from '../support/settled';
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
    options: Parameters<typeof RegistryHttpModule.forRoot>[0] = {},
  ): Promise<{ app: INestApplication; http: RegistryHttpService }> {
    const app = await apps.start({
      imports: [
        EtcdRegistryModule.forRoot({ endpoints: t.etcd.endpoints, timeoutMs: 3000, isGlobal: true }),
        RegistryHttpModule.forRoot({ prefix, codec: 'json', ...options }),
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
    http.events.on('instance-ejected', (e) => ejected.push(e));
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
    const app = await apps.create({ imports: [RegistryHttpModule.forRoot()] });
    const error = await app.init().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryOptionsError);
    expect((error as Error).message).toContain('import EtcdRegistryModule.forRoot({ ..., isGlobal: true })');
    const bad = await apps
      .create({
        imports: [
          EtcdRegistryModule.forRoot({ endpoints: t.etcd.endpoints, isGlobal: true }),
          RegistryHttpModule.forRoot({ picker: 'fastest' as never }),
        ],
      })
      .then((a) => a.init())
      .catch((e: unknown) => e);
    expect((bad as Error).message).toMatch(/Option "picker" must be one of/);
  });

  it('one of three instances SIGSTOPped at ~200 calls/s: 0 failed GETs, none outlives attemptTimeoutMs + deadlineMs, the hung one ejected; POSTs it held fail fast naming it', async () => {
    const [, victim] = await Promise.all(['u1', 'u2', 'u3'].map((id) => fleet.start(id)));
    const { http } = await gateway({ attemptTimeoutMs: 500 });
    const ejected: InstanceEjectedEvent[] = [];
    http.events.on('instance-ejected', (e) => ejected.push(e));
    const victimKey = `${prefix}user-service/${victim.id}`;
    // 4 s at 200 calls/s, one POST in ten; the victim hangs 0.5 s in.
    const results = await within(
      pacedLoad(200, 800, async (i) => {
        if (i === 100) victim.pause();
        if (i % 10 === 5)
          return (await firstValueFrom(http.post<{ servedBy: string }>('http://user-service/users', { name: `n${i}` }))).data;
        return (await firstValueFrom(http.get<{ servedBy: string }>(`http://user-service/users/${i}`))).data;
      }),
      20_000,
      'calls to the hung instance',
    );
    const gets = results.filter((_, i) => i % 10 !== 5);
    const posts = results.filter((_, i) => i % 10 === 5);
    const postErrors = failures(posts);
    const slowest = Math.max(...results.map((r) => r.ms));
    process.stdout.write(
      `HTTP under SIGSTOP (attemptTimeoutMs 500, deadlineMs 5000): ${gets.length} GETs, ${failures(gets).length} failed; ` +
        `${posts.length} POSTs, ${postErrors.length} failed with the attempt deadline; slowest call ${slowest} ms; ejected: ${ejected.map((e) => e.key).join(', ')}\n`,
    );
    expect(failures(gets).map((e) => e.message)).toEqual([]);
    expect(slowest).toBeLessThan(500 + 5000);
    expect(ejected.map((e) => e.key)).toContain(victimKey);
    // A POST is not idempotent: one that reached the hung instance fails, naming it and the deadline.
    for (const e of postErrors) {
      expect(e).toBeInstanceOf(AttemptTimeoutError);
      expect(e).toMatchObject({ key: victimKey, timeoutMs: 500 });
      expect(e.message).toContain(
        `${victimKey} (http://127.0.0.1:${victim.port}) within 500 ms (attemptTimeoutMs); not retried: POST is not in retry.idempotentMethods`,
      );
    }
  });

  it("a caller's own timeout (rxjs timeout(), which cancels the request) counts as a failure: the hung instance is ejected", async () => {
    const [, victim] = await Promise.all(['u1', 'u2'].map((id) => fleet.start(id)));
    const { http } = await gateway({ attemptTimeoutMs: 0, deadlineMs: 0 });
    const ejected: InstanceEjectedEvent[] = [];
    http.events.on('instance-ejected', (e) => ejected.push(e));
    victim.pause();
    const results = await within(
      pacedLoad(100, 100, (i) => firstValueFrom(http.get(`http://user-service/users/${i}`).pipe(timeout(300)))),
      10_000,
      'the calls',
    );
    expect(failures(results).length).toBeGreaterThan(0);
    // Old code: a cancel counted as a success (consecutiveFailures stayed 0): never ejected, until its lease expired.
    await waitFor(() => ejected.some((e) => e.key.endsWith(`/${victim.id}`)), {
      timeoutMs: 1000,
      message: 'the hung instance to be ejected',
    });
  });

  it('an instance answering 503 at once is ejected within 1 s at ~200 calls/s, and no GET fails (503 is retried elsewhere)', async () => {
    await Promise.all([fleet.start('u1'), fleet.start('u2'), fleet.start('u3', { HTTP_STATUS: '503' })]);
    const { http } = await gateway();
    const ejected: Array<InstanceEjectedEvent & { afterMs: number }> = [];
    const t0 = Date.now();
    http.events.on('instance-ejected', (e) => ejected.push({ ...e, afterMs: Date.now() - t0 }));
    const results = await within(
      pacedLoad(200, 400, (i) => firstValueFrom(http.get<{ servedBy: string }>(`http://user-service/users/${i}`))),
      20_000,
      'the calls',
    );
    const served = results.filter((r) => r.status === 'fulfilled').map((r) => (r.value as { data: { servedBy: string } }).data.servedBy);
    const u3 = ejected.find((e) => e.key.endsWith('/u3'));
    process.stdout.write(
      `HTTP with one instance answering 503: ${results.length} GETs, ${failures(results).length} failed; ejected after ${u3?.afterMs} ms (${u3?.failures} errors in a row)\n`,
    );
    expect(failures(results).map((e) => e.message)).toEqual([]);
    expect(served).not.toContain('u3');
    expect(u3).toMatchObject({ failures: 5 });
    expect(u3!.afterMs).toBeLessThan(1000);
    // With failures.statuses: [] a 503 is an answer like any other: returned, never ejected.
    const { http: lenient } = await gateway({ failures: { statuses: [] }, retry: { statuses: [] }, picker: 'round-robin' });
    const errors = failures(
      await Promise.all(
        [...Array(30)].map((_, i) =>
          firstValueFrom(lenient.get(`http://user-service/users/${i}`)).then(
            (value) => ({ status: 'fulfilled' as const, value }),
            (reason: unknown) => ({ status: 'rejected' as const, reason }),
          ),
        ),
      ),
    );
    expect(errors).toHaveLength(10);
    expect(errors[0]).toMatchObject({ response: { status: 503 } });
    expect(lenient.status().services[0].ejected).toBe(0);
  });

  it('forRootAsync takes the options from a factory (ConfigService), isGlobal included', async () => {
    await fleet.start('u1');
    const app = await apps.start({
      imports: [
        EtcdRegistryModule.forRoot({ endpoints: t.etcd.endpoints, timeoutMs: 3000, isGlobal: true }),
        ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ USERS_PREFIX: prefix, USERS_ATTEMPT_MS: 1234 })] }),
        RegistryHttpModule.forRootAsync({
          imports: [ConfigModule],
          inject: [ConfigService],
          useFactory: (config: ConfigService) => ({
            prefix: config.get<string>('USERS_PREFIX'),
            codec: 'json',
            attemptTimeoutMs: config.get<number>('USERS_ATTEMPT_MS'),
          }),
          isGlobal: true,
        }),
      ],
    });
    const http = app.get(RegistryHttpService);
    expect(await servedBy(http, 'http://user-service/users/1')).toBe('u1');
    expect(http.loadBalancer.prefix).toBe(prefix);
  });
});
