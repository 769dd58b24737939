import 'reflect-metadata';
import { Controller, INestMicroservice, Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  ClientProxy,
  ClientProxyFactory,
  ClientTCP,
  Ctx,
  MessagePattern,
  Payload,
  RpcException,
  TcpContext,
  Transport,
} from '@nestjs/microservices';
import { readFileSync } from 'fs';
import { firstValueFrom, Observable } from 'rxjs';
import { AttemptTimeoutError } from '../../lib/core/balancing/balancing.errors';
import { resolveCallDeadlines } from '../../lib/core/balancing/call-deadlines';
import { LoadBalancer } from '../../lib/core/balancing/load-balancer';
import type { InstanceClient } from '../../lib/microservices/balanced-client-call';
import { clientFailureKind, resolveClientRetry } from '../../lib/microservices/client-retry';
import { directSendMissing, DirectTcpSender } from '../../lib/microservices/client-tcp-internals';
import { RegistryClientProxy, TCP_ADDRESSING } from '../../lib/microservices/registry-client.proxy';
import { freePort } from '../support/free-port';
import { fleetOf, instance } from '../support/instance-fixtures';
import { waitFor } from '../support/wait-for';

const nestVersion = (JSON.parse(readFileSync(require.resolve('@nestjs/microservices/package.json'), 'utf8')) as { version: string })
  .version;

type User = { id: string; servedBy: string };
type HangUp = 'always' | 'once' | 'never';

/** An in-process Nest TCP microservice of user-service, and what its handlers saw. */
interface UserServer {
  id: string;
  port: number;
  app: INestMicroservice;
  /** Ids of the `slow` calls that reached the handler; `release()` answers them. */
  slowSeen: string[];
  release(): void;
  /** `hang-up` calls on which the handler closed the connection. */
  hangUps: number;
}

/** `hangUp`: 'always' closes the connection on every `hang-up` call; 'once', on the first of each id; 'never' answers. */
async function startServer(id: string, hangUp: HangUp): Promise<UserServer> {
  const releases: Array<() => void> = [];
  const server = { id, slowSeen: [] as string[], hangUps: 0, release: () => releases.splice(0).forEach((r) => r()) };
  const hungUp = new Set<string>();
  @Controller()
  class Users {
    @MessagePattern('get-user')
    getUser(@Payload() data: { id: string }): User {
      return { id: data.id, servedBy: id };
    }
    @MessagePattern('reject')
    reject(): never {
      throw new RpcException('no such user');
    }
    @MessagePattern('slow')
    slow(@Payload() data: { id: string }): Promise<User> {
      server.slowSeen.push(data.id);
      return new Promise((resolve) => releases.push(() => resolve({ id: data.id, servedBy: id })));
    }
    @MessagePattern('hang-up')
    hangUpCall(@Payload() data: { id: string }, @Ctx() ctx: TcpContext): User | Promise<never> {
      if (hangUp === 'never' || (hangUp === 'once' && hungUp.has(data.id))) return { id: data.id, servedBy: id };
      hungUp.add(data.id);
      server.hangUps++;
      ctx.getSocketRef().socket.destroy();
      return new Promise<never>(() => undefined);
    }
  }
  @Module({ controllers: [Users] })
  class ServerModule {}
  const port = await freePort();
  const app = await NestFactory.createMicroservice(ServerModule, {
    transport: Transport.TCP,
    options: { host: '127.0.0.1', port },
    logger: false,
  });
  await app.listen();
  return Object.assign(server, { port, app });
}

/** A RegistryClientProxy of user-service over `servers` (an in-memory map, no etcd), as bench/overhead-micro.ts makes it. */
function proxyOver(servers: UserServer[], idempotent: boolean, deadlines = resolveCallDeadlines()) {
  const lb = new LoadBalancer({ transport: TCP_ADDRESSING });
  lb.apply(
    fleetOf(
      ...servers.map((s) => instance('user-service', s.id, { address: `127.0.0.1:${s.port}`, endpoints: [`tcp://127.0.0.1:${s.port}`] })),
    ),
  );
  const proxy = new RegistryClientProxy('user-service', lb, resolveClientRetry({ idempotent }), {}, undefined, deadlines);
  const connections = proxy.unwrap<Map<string, InstanceClient>>();
  const of = (server: UserServer) => {
    const made = [...connections.values()].find((c) => c.address === `127.0.0.1:${server.port}`);
    if (!made) throw new Error(`no client made for ${server.id} yet`);
    return made as Required<InstanceClient>;
  };
  const instances = () => lb.status().services.flatMap((s) => s.instances);
  return { proxy, lb, of, instances };
}

/** What the spec reads of a ClientTCP (Nest's, not ours): the routed calls and the socket. */
const routed = (client: ClientProxy) => (client as unknown as { routingMap: Map<string, unknown> }).routingMap.size;
const socketOf = (client: ClientProxy) => (client as unknown as { socket: unknown }).socket;

/**
 * The canary of @nestjs/microservices as a range (11 and 12): what lib/microservices/client-tcp-internals.ts
 * relies on in ClientTCP, checked against the installed release on real loopback connections to a
 * Nest TCP microservice in this process. A Nest that changes any of it fails here, by name.
 */
describe(`@nestjs/microservices ${nestVersion}: a send published directly on a connected ClientTCP (client-tcp-internals.ts)`, () => {
  const servers: UserServer[] = [];
  const closers: Array<() => Promise<unknown>> = [];
  const start = async (id: string, hangUp: HangUp = 'always') => {
    const s = await startServer(id, hangUp);
    servers.push(s);
    return s;
  };
  const over = (list: UserServer[], idempotent = false, deadlines?: ReturnType<typeof resolveCallDeadlines>) => {
    const made = proxyOver(list, idempotent, deadlines);
    closers.push(() => made.proxy.close());
    return made;
  };
  /** Calls through `send` until the direct path of `server`'s client is ready. */
  const warm = async (made: ReturnType<typeof proxyOver>, server: UserServer) => {
    await waitFor(
      async () => {
        await firstValueFrom(made.proxy.send('get-user', { id: 'warm' }));
        return made.of(server).direct.ready();
      },
      { timeoutMs: 5000, message: `the direct path of ${server.id}'s client` },
    );
  };

  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    for (const s of servers.splice(0)) {
      s.release();
      await s.app.close();
    }
    jest.restoreAllMocks();
  });

  it("the guard accepts the installed Nest's ClientTCP, and rejects what the direct path cannot serve", () => {
    const tcp = ClientProxyFactory.create({ transport: Transport.TCP, options: { host: '127.0.0.1', port: 1 } });
    expect(tcp).toBeInstanceOf(ClientTCP);
    expect(directSendMissing(tcp)).toBeUndefined();
    expect(DirectTcpSender.of(tcp)).toBeInstanceOf(DirectTcpSender);
    // Unconnected: both fields are there, null; the direct path waits for a send to connect.
    expect(socketOf(tcp)).toBeNull();
    expect((tcp as unknown as { connectionPromise: unknown }).connectionPromise).toBeNull();
    expect(DirectTcpSender.of(tcp)!.ready()).toBe(false);
    class Intercepted extends ClientTCP {
      override send<R>(pattern: unknown, data: unknown): Observable<R> {
        return super.send(pattern, data);
      }
    }
    expect(directSendMissing(new Intercepted({}))).toBe("ClientProxy's own send (not overridden)");
    class OtherTransport extends ClientProxy {
      async connect(): Promise<void> {}
      async close(): Promise<void> {}
      unwrap<T>(): T {
        return this as unknown as T;
      }
      protected publish(): () => void {
        return () => undefined;
      }
      protected async dispatchEvent<T>(): Promise<T> {
        return undefined as T;
      }
    }
    expect(directSendMissing(new OtherTransport())).toBe('a ClientTCP');
    const bare = Object.assign(Object.create(ClientTCP.prototype) as ClientTCP, { publish: undefined });
    expect(directSendMissing(bare)).toBe('ClientTCP#publish()');
  });

  it('after the first call connects, calls by name publish directly: no further send, the same answers', async () => {
    const u1 = await start('u1');
    const made = over([u1]);
    expect(await firstValueFrom(made.proxy.send<User>('get-user', { id: '0' }))).toEqual({ id: '0', servedBy: 'u1' });
    await waitFor(() => made.of(u1).direct.ready(), { timeoutMs: 5000, message: 'the connection to be seen made' });
    const { client } = made.of(u1);
    const send = jest.spyOn(client, 'send');
    const publish = jest.spyOn(client as unknown as { publish: (...a: unknown[]) => unknown }, 'publish');
    for (let i = 1; i <= 50; i++)
      expect(await firstValueFrom(made.proxy.send<User>('get-user', { id: String(i) }))).toEqual({ id: String(i), servedBy: 'u1' });
    expect(send).not.toHaveBeenCalled();
    expect(publish).toHaveBeenCalledTimes(50);
    expect(routed(client)).toBe(0);
    expect(made.instances()).toMatchObject([{ inFlight: 0, consecutiveFailures: 0 }]);
    // Emit keeps Nest's path.
    const emit = jest.spyOn(client, 'emit');
    made.proxy.emit('user-seen', { id: '1' });
    expect(emit).toHaveBeenCalledTimes(1);
  });

  it('an RpcException answer on the direct path is the error a plain ClientTCP send gives, an answer (not a failure of the instance)', async () => {
    const u1 = await start('u1');
    const made = over([u1]);
    await warm(made, u1);
    const send = jest.spyOn(made.of(u1).client, 'send');
    const plain = ClientProxyFactory.create({ transport: Transport.TCP, options: { host: '127.0.0.1', port: u1.port } });
    closers.push(async () => plain.close());
    const expected = await firstValueFrom(plain.send('reject', {})).catch((e: unknown) => e);
    expect(expected).toEqual({ status: 'error', message: 'no such user' });
    const error = await firstValueFrom(made.proxy.send('reject', {})).catch((e: unknown) => e);
    expect(error).toEqual(expected);
    expect(clientFailureKind(error)).toBe('answered');
    expect(send).not.toHaveBeenCalled();
    expect(routed(made.of(u1).client)).toBe(0);
    expect(made.instances()).toMatchObject([{ inFlight: 0, consecutiveFailures: 0 }]);
  });

  it('unsubscribing before the answer removes the routing entry: the handler saw the call, the late answer reaches no one', async () => {
    const u1 = await start('u1');
    const made = over([u1]);
    await warm(made, u1);
    const { client } = made.of(u1);
    const send = jest.spyOn(client, 'send');
    const got: unknown[] = [];
    const subscription = made.proxy.send('slow', { id: 's1' }).subscribe({ next: (v) => got.push(v), error: (e) => got.push(e) });
    await waitFor(() => u1.slowSeen.includes('s1'), { timeoutMs: 5000, message: 'the handler to see the call' });
    expect(routed(client)).toBe(1);
    subscription.unsubscribe();
    expect(routed(client)).toBe(0);
    expect(made.instances()).toMatchObject([{ inFlight: 0, consecutiveFailures: 1 }]);
    u1.release();
    // The connection still serves (directly), and the late answer of s1 went to no one.
    expect(await firstValueFrom(made.proxy.send<User>('get-user', { id: 'after' }))).toEqual({ id: 'after', servedBy: 'u1' });
    expect(got).toEqual([]);
    expect(send).not.toHaveBeenCalled();
  });

  it('an attempt past its deadline on the direct path fails as before (AttemptTimeoutError), its routing entry removed', async () => {
    const u1 = await start('u1');
    const made = over([u1], false, resolveCallDeadlines({ attemptTimeoutMs: 200 }));
    await warm(made, u1);
    const { client } = made.of(u1);
    const sends = jest.spyOn(client, 'send');
    const t0 = Date.now();
    const error = await firstValueFrom(made.proxy.send('slow', { id: 'late' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AttemptTimeoutError);
    expect(error).toMatchObject({ timeoutMs: 200 });
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(u1.slowSeen).toEqual(['late']);
    expect(sends).not.toHaveBeenCalled();
    expect(routed(client)).toBe(0);
    expect(made.instances()).toMatchObject([{ inFlight: 0, consecutiveFailures: 1 }]);
  });

  it('a server that closes the connection mid-call: Nest nulls the socket, an idempotent call goes to another instance, the next call to it reconnects through send', async () => {
    const [u1, u2] = [await start('u1', 'always'), await start('u2', 'never')];
    const made = over([u1, u2], true);
    await warm(made, u1);
    await warm(made, u2);
    const { client: c1, direct: d1 } = made.of(u1);
    const sends = jest.spyOn(c1, 'send');
    const publishes = jest.spyOn(c1 as unknown as { publish: (...a: unknown[]) => unknown }, 'publish');
    // Round robin: within two calls one starts on u1, which hangs up; every call is answered by u2.
    for (let i = 0; u1.hangUps === 0 && i < 4; i++) {
      expect(await firstValueFrom(made.proxy.send<User>('hang-up', { id: `h${i}` }))).toEqual({ id: `h${i}`, servedBy: 'u2' });
    }
    expect(u1.hangUps).toBe(1);
    expect(sends).not.toHaveBeenCalled();
    expect(publishes).toHaveBeenCalledTimes(1);
    expect(socketOf(c1)).toBeNull();
    expect(d1.ready()).toBe(false);
    expect(made.instances().find((i) => i.key.endsWith('/u1'))).toMatchObject({ inFlight: 0, consecutiveFailures: 1 });
    // The next call to u1 goes through send (which reconnects), the ones after it directly again.
    const servedBy: string[] = [];
    for (let i = 0; i < 8; i++) servedBy.push((await firstValueFrom(made.proxy.send<User>('get-user', { id: `g${i}` }))).servedBy);
    expect(servedBy.filter((s) => s === 'u1').length).toBeGreaterThanOrEqual(3);
    expect(sends).toHaveBeenCalledTimes(1);
    expect(d1.ready()).toBe(true);
    expect(routed(c1)).toBe(0);
  });

  it('one instance that closes the connection mid-call: the next attempt of an idempotent call reconnects through send and is answered', async () => {
    const u1 = await start('u1', 'once');
    const made = over([u1], true);
    await warm(made, u1);
    const sends = jest.spyOn(made.of(u1).client, 'send');
    expect(await firstValueFrom(made.proxy.send<User>('hang-up', { id: 'x' }))).toEqual({ id: 'x', servedBy: 'u1' });
    expect(u1.hangUps).toBe(1);
    expect(sends).toHaveBeenCalledTimes(1);
    expect(made.instances()).toMatchObject([{ inFlight: 0 }]);
  });

  it('a call that is not idempotent fails with the error a plain ClientTCP send gives ("Connection closed", maybe sent)', async () => {
    const u1 = await start('u1', 'always');
    const made = over([u1], false);
    await warm(made, u1);
    const sends = jest.spyOn(made.of(u1).client, 'send');
    const plain = ClientProxyFactory.create({ transport: Transport.TCP, options: { host: '127.0.0.1', port: u1.port } });
    closers.push(async () => plain.close());
    const expected = await firstValueFrom(plain.send('hang-up', { id: 'p' })).catch((e: unknown) => e);
    const error = await firstValueFrom(made.proxy.send('hang-up', { id: 'q' })).catch((e: unknown) => e);
    expect(sends).not.toHaveBeenCalled();
    expect(u1.hangUps).toBe(2);
    expect(expected).toEqual(new Error('Connection closed'));
    expect(error).toEqual(expected);
    expect(clientFailureKind(error)).toBe('maybe-sent');
  });

  it('a publish on a socket that ended before Nest saw it close fails as send does ("Connection closed", maybe sent)', async () => {
    const u1 = await start('u1');
    const made = over([u1], false);
    await warm(made, u1);
    const { client, direct } = made.of(u1);
    const plain = ClientProxyFactory.create({ transport: Transport.TCP, options: { host: '127.0.0.1', port: u1.port } });
    closers.push(async () => plain.close());
    await firstValueFrom(plain.send('get-user', { id: 'p' }));
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const endThenCall = async (c: ClientProxy, call: () => Promise<unknown>) => {
      c.unwrap<{ end(): void }>().end();
      return call().catch((e: unknown) => e);
    };
    const expected = await endThenCall(plain, () => firstValueFrom(plain.send('get-user', { id: 'p' })));
    expect(expected).toEqual(new Error('Connection closed'));
    const sends = jest.spyOn(client, 'send');
    const error = await endThenCall(client, () => {
      // Nest has not seen the close yet: the call is published directly on the ended socket.
      expect(direct.ready()).toBe(true);
      return firstValueFrom(made.proxy.send('get-user', { id: 'q' }));
    });
    expect(sends).not.toHaveBeenCalled();
    expect(error).toEqual(expected);
    expect(clientFailureKind(error)).toBe('maybe-sent');
    expect(routed(client)).toBe(0);
    expect(made.instances()).toMatchObject([{ inFlight: 0, consecutiveFailures: 1 }]);
    logged.mockRestore();
  });
});
