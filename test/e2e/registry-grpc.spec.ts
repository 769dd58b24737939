import * as grpc from '@grpc/grpc-js';
import { ChildProcess, spawn } from 'child_process';
import { ClientGrpc, ClientsModule, Transport } from '@nestjs/microservices';
import { join } from 'path';
import { firstValueFrom, Observable } from 'rxjs';
import { EtcdRegistryModule } from '../../lib';
import { encodeRegistration } from '../../lib/core';
import { GrpcNameResolver, RegistryGrpcModule } from '../../lib/grpc';
import { Greeter, GREETER_PROTO, GreeterClient, sayHello, startGreeter } from '../support/greeter';
import { withNestApps } from '../support/nest-app';
import { uniquePrefix, withEtcd } from '../support/registry-fixtures';
import { waitFor } from '../support/wait-for';

jest.setTimeout(90_000);

type Greeters = Awaited<ReturnType<typeof startGreeter>>;
let schemes = 0;
const uniqueScheme = () => `etcd-test-${process.pid}-${++schemes}`;

describe('gRPC by name: a grpc-js resolver over the registry (real etcd, real grpc-js servers and clients)', () => {
  const t = withEtcd();
  const apps = withNestApps();
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function greeters(ids: string[]): Promise<Greeters[]> {
    const started = await Promise.all(ids.map((id) => startGreeter(id)));
    cleanup.push(() => Promise.all(started.map((g) => g.stop())).then(() => undefined));
    return started;
  }

  async function resolverOn(prefix: string, codec: string, extra: Partial<ConstructorParameters<typeof GrpcNameResolver>[0]> = {}) {
    const registry = await t.pool.create(t.etcd.endpoints);
    const resolver = await GrpcNameResolver.watch(registry, { prefix, codec: codec as never, scheme: uniqueScheme(), ...extra });
    cleanup.push(() => resolver.close());
    return resolver;
  }

  function client(target: string): GreeterClient {
    const c = new Greeter(target, grpc.credentials.createInsecure());
    cleanup.push(() => c.close());
    return c;
  }

  const put = (key: string, value: string) => t.client.put(key).value(value).exec();
  const json = (g: Greeters, extra: Record<string, unknown> = {}) =>
    encodeRegistration({
      prefix: '/p/',
      name: 'greeter',
      id: g.id,
      address: '127.0.0.1:9',
      codec: 'json',
      endpoints: [`grpc://${g.address}`],
      ...extra,
    }).value;

  /** Calls until every id in `ids` has answered (the channel connected to all), with a deadline. */
  async function warm(c: GreeterClient, ids: string[]): Promise<void> {
    const seen = new Set<string>();
    await waitFor(
      async () => {
        seen.add(await sayHello(c, 'warm'));
        return ids.every((id) => seen.has(id));
      },
      { message: `${ids.join(', ')} all answering (seen: ${[...seen].join(', ')})` },
    );
  }

  it('resolves a service by name and spreads calls round robin over its 3 instances (not all to one, as pick_first would)', async () => {
    const prefix = uniquePrefix('grpc');
    const servers = await greeters(['g1', 'g2', 'g3']);
    for (const g of servers) await put(`${prefix}greeter/${g.id}`, json(g));
    const resolver = await resolverOn(prefix, 'json');
    const c = client(resolver.target('greeter'));
    await warm(c, ['g1', 'g2', 'g3']);
    const counts: Record<string, number> = {};
    for (let i = 0; i < 30; i++) {
      const by = await sayHello(c, `n${i}`);
      counts[by] = (counts[by] ?? 0) + 1;
    }
    expect(counts).toEqual({ g1: 10, g2: 10, g3: 10 });
    // The json instance's address (127.0.0.1:9, nothing listens) lost to its grpc:// endpoint.
    expect(resolver.status().services).toEqual([
      { service: 'greeter', addresses: servers.map((g) => g.address), draining: 0, withoutAddress: 0, channels: 1 },
    ]);
  });

  it('a draining instance gets no new calls; a new instance joins without a new channel', async () => {
    const prefix = uniquePrefix('grpc');
    const [a, b, c3] = await greeters(['a', 'b', 'c']);
    await put(`${prefix}greeter/a`, json(a));
    await put(`${prefix}greeter/b`, json(b));
    const resolver = await resolverOn(prefix, 'json');
    const c = client(resolver.target('greeter'));
    await warm(c, ['a', 'b']);

    await put(`${prefix}greeter/a`, json(a, { status: 'draining' }));
    await waitFor(() => resolver.status().services[0]?.draining === 1, { message: 'a seen draining' });
    // grpc-js applies the new list on its own schedule: wait until a call goes to b, then count.
    await waitFor(async () => (await sayHello(c, 'probe')) === 'b', { message: 'calls moved to b' });
    const before = a.calls();
    const answered = await Promise.all(Array.from({ length: 40 }, (_, i) => sayHello(c, `d${i}`)));
    expect(answered.every((by) => by === 'b')).toBe(true);
    expect(a.calls()).toBe(before);

    await put(`${prefix}greeter/c`, json(c3));
    await warm(c, ['b', 'c']);
  });

  it.each([
    [
      'kratos',
      (g: Greeters) => [
        `/microservices/greeter/${g.id}`,
        JSON.stringify({ id: g.id, name: 'greeter', endpoints: ['http://127.0.0.1:1', `grpc://${g.address}?isSecure=false`] }),
      ],
    ],
    ['go-zero', (g: Greeters) => [`greeter/${7000 + Number(g.id.slice(1))}`, g.address]],
    ['grpc-naming', (g: Greeters) => [`foo/bar/greeter/${g.address}`, JSON.stringify({ Op: 0, Addr: g.address, Metadata: null })]],
    ['json', (g: Greeters) => [`/services/greeter/${g.id}`, json(g)]],
  ] as const)('reads %s instances: calls reach the gRPC address that codec yields', async (codec, entry) => {
    const servers = await greeters(['x1', 'x2']);
    const unique = uniquePrefix('c').replace(/^\//, '');
    const keys = servers.map((g) => entry(g)).map(([k, v]) => [k.startsWith('/') ? `/${unique}${k}` : `${unique}/${k}`, v] as const);
    for (const [k, v] of keys) await put(k, v);
    const prefix = keys[0][0].slice(0, keys[0][0].indexOf('greeter/'));
    const resolver = await resolverOn(prefix, codec);
    expect(resolver.status().services).toEqual([]);
    await warm(client(resolver.target('greeter')), ['x1', 'x2']);
    expect(resolver.status().services[0].addresses.sort()).toEqual(servers.map((g) => g.address).sort());
  });

  it('an unknown service fails the call at once, naming the service and what is there', async () => {
    const prefix = uniquePrefix('grpc');
    const [g] = await greeters(['only']);
    await put(`${prefix}greeter/only`, json(g));
    const resolver = await resolverOn(prefix, 'json');
    const started = Date.now();
    const error = await sayHello(client(resolver.target('greter')), 'x').catch((e: grpc.ServiceError) => e);
    expect(error).toMatchObject({ code: grpc.status.UNAVAILABLE });
    expect(String((error as Error).message)).toContain('No instance of "greter"');
    expect(String((error as Error).message)).toContain('services there: greeter');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  describe('Nest: ClientsModule with Transport.GRPC dialling etcd-registry:///greeter', () => {
    const children: ChildProcess[] = [];
    afterEach(() => {
      for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });

    async function child(prefix: string, id: string): Promise<{ child: ChildProcess; port: number }> {
      const proc = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join(__dirname, '..', 'support', 'greeter-app.ts')], {
        env: {
          ...process.env,
          ETCD_ENDPOINTS: t.etcd.endpoints.join(','),
          PREFIX: prefix,
          SERVICE_ID: id,
          TTL_SECONDS: '2',
          TS_NODE_TRANSPILE_ONLY: 'true',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(proc);
      let output = '';
      proc.stdout.on('data', (d: Buffer) => (output += d.toString()));
      proc.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const line = await waitFor(
        () => {
          if (proc.exitCode !== null) throw new Error(`${id} exited: ${output}`);
          return output.split('\n').find((l) => l.startsWith(`ready ${id} `));
        },
        { timeoutMs: 30_000, message: `${id} ready` },
      );
      return { child: proc, port: Number(line.split(' ')[2]) };
    }

    async function nestClient(prefix: string) {
      const retryPolicy = {
        maxAttempts: 5,
        initialBackoff: '0.02s',
        maxBackoff: '0.2s',
        backoffMultiplier: 2,
        retryableStatusCodes: ['UNAVAILABLE'],
      };
      const app = await apps.start({
        imports: [
          EtcdRegistryModule.forRoot({ endpoints: t.etcd.endpoints, timeoutMs: 3000, isGlobal: true }),
          RegistryGrpcModule.forRoot({ prefix, codec: 'json', methodConfig: [{ name: [{ service: 'helloworld.Greeter' }], retryPolicy }] }),
          ClientsModule.register([
            {
              name: 'GREETER',
              transport: Transport.GRPC,
              options: { url: 'etcd-registry:///greeter', package: 'helloworld', protoPath: GREETER_PROTO },
            },
          ]),
        ],
      });
      const greeter = app
        .get<ClientGrpc>('GREETER')
        .getService<{ sayHello(r: { name: string }): Observable<{ message: string }> }>('Greeter');
      return {
        app,
        call: async (name: string) => (await firstValueFrom(greeter.sayHello({ name }))).message.replace(/^hello .* from /, ''),
      };
    }

    it('one of two servers SIGKILLed (by PID) under a bounded load of idempotent calls with retries: 0 failed', async () => {
      const prefix = uniquePrefix('grpc');
      const [k1] = await Promise.all([child(prefix, 'k1'), child(prefix, 'k2')]);
      const { app, call } = await nestClient(prefix);
      const seen = new Set<string>();
      await waitFor(async () => seen.add(await call('warm')).size === 2, { message: 'k1 and k2 both answering' });

      const TOTAL = 2000;
      let sent = 0;
      let failed = 0;
      const by: Record<string, number> = {};
      const errors: string[] = [];
      let killedAt = -1;
      const worker = async () => {
        while (sent < TOTAL) {
          const n = sent++;
          if (n === 400) {
            killedAt = n;
            k1.child.kill('SIGKILL');
          }
          try {
            const who = await call(`n${n}`);
            by[who] = (by[who] ?? 0) + 1;
          } catch (e) {
            failed++;
            if (errors.length < 3) errors.push(String(e));
          }
        }
      };
      await Promise.all(Array.from({ length: 8 }, worker));
      expect(killedAt).toBe(400);
      expect({ failed, errors }).toEqual({ failed: 0, errors: [] });
      expect(by.k1).toBeGreaterThan(100); // k1 served before it died...
      expect(by.k2).toBeGreaterThan(TOTAL - 400); // ...and k2 took the rest
      // The key of k1 leaves with its lease; the resolver drops it.
      const resolver = app.get(GrpcNameResolver);
      await waitFor(() => resolver.status().services[0]?.addresses.length === 1, {
        timeoutMs: 15_000,
        message: 'k1 gone from the addresses',
      });
    });
  });
});
