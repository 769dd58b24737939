/**
 * CPU per call of the client wings' own code, in one process (no etcd): the difference between a
 * wing's client by name and the plain client, as CPU microseconds per call (process.cpuUsage), which
 * a busy machine disturbs far less than wall-clock latency. Blocks of sequential calls alternate
 * between the two sides; the median over blocks is printed.
 *
 *   node -r ./bench/ts-hook.js bench/overhead-micro.ts [http|tcp] [blocks]
 *
 * http: an in-process node:http server; @nestjs/axios HttpService over a plain axios instance
 * against RegistryHttpService's adapter (balancedAdapter) over axios's own http adapter.
 * tcp: a fake ClientProxy answering on the next microtask, called directly against through
 * RegistryClientProxy (the fake put in the proxy's connection map): the wrapper alone.
 * tcp-loopback: an in-process Nest TCP microservice, a plain ClientTCP against RegistryClientProxy.
 * CONC=16 in the environment keeps 16 calls in flight (as the overhead figure's throughput blocks).
 * DL=0 in the environment turns the tcp proxy's deadlines off (attemptTimeoutMs and deadlineMs 0),
 * to show what the per-attempt deadline costs.
 */
import 'reflect-metadata';
import { HttpService } from '@nestjs/axios';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientProxy, ClientProxyFactory, MessagePattern, Payload, ReadPacket, Transport, WritePacket } from '@nestjs/microservices';
import axios from 'axios';
import { createServer } from 'http';
import { AddressInfo } from 'net';
import { firstValueFrom } from 'rxjs';
import { balancedAdapter } from '../lib/axios/balanced-adapter';
import { resolveHttpRetry } from '../lib/axios/http-retry';
import { HTTP_ADDRESSING } from '../lib/axios/registry-http.service';
import { resolveCallDeadlines } from '../lib/core/balancing/call-deadlines';
import { LoadBalancer } from '../lib/core/balancing/load-balancer';
import { resolveClientRetry } from '../lib/microservices/client-retry';
import { RegistryClientProxy, TCP_ADDRESSING } from '../lib/microservices/registry-client.proxy';
import { freePort } from '../test/support/free-port';
import { fleetOf, instance } from '../test/support/instance-fixtures';

type Call = () => Promise<unknown>;

/** Calls in flight at once (CONC in the environment; default 1: one call after another). */
const CONCURRENCY = Math.max(1, Number(process.env.CONC ?? 1));

async function cpuUsPerCall(call: Call, calls: number): Promise<number> {
  const c0 = process.cpuUsage();
  let left = calls;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (left-- > 0) await call();
    }),
  );
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / calls;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function compare(name: string, plain: Call, byName: Call, blocks: number, calls: number): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    await plain();
    await byName();
  }
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < blocks; i++) {
    if (i % 2) {
      a.push(await cpuUsPerCall(plain, calls));
      b.push(await cpuUsPerCall(byName, calls));
    } else {
      b.push(await cpuUsPerCall(byName, calls));
      a.push(await cpuUsPerCall(plain, calls));
    }
  }
  const d = a.map((x, i) => b[i] - x);
  console.log(
    `${name}: plain ${median(a).toFixed(2)} us, by name ${median(b).toFixed(2)} us CPU per call; ` +
      `difference median ${median(d).toFixed(2)} us (per-block pairs, ${blocks} x ${calls} calls)`,
  );
}

async function http(blocks: number): Promise<void> {
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end('{"id":"1"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const lb = new LoadBalancer({ transport: HTTP_ADDRESSING });
  lb.apply(fleetOf(instance('user-service', 'u1', { address: `127.0.0.1:${port}`, endpoints: [`http://127.0.0.1:${port}`] })));
  const plain = new HttpService(axios.create());
  const byName = new HttpService(
    axios.create({ adapter: balancedAdapter(() => lb, resolveHttpRetry(), undefined, resolveCallDeadlines()) }),
  );
  await compare(
    'http',
    () => firstValueFrom(plain.get(`http://127.0.0.1:${port}/users/1`)),
    () => firstValueFrom(byName.get('http://user-service/users/1')),
    blocks,
    500,
  );
  server.close();
}

class FakeClient extends ClientProxy {
  async connect(): Promise<void> {}
  async close(): Promise<void> {}
  unwrap<T>(): T {
    return this as unknown as T;
  }
  protected publish(packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    queueMicrotask(() => callback({ response: { id: '1' }, isDisposed: true }));
    return () => undefined;
  }
  protected async dispatchEvent<T = unknown>(): Promise<T> {
    return undefined as T;
  }
}

async function tcp(blocks: number): Promise<void> {
  const lb = new LoadBalancer({ transport: TCP_ADDRESSING });
  lb.apply(fleetOf(instance('user-service', 'u1', { address: '127.0.0.1:1', endpoints: ['tcp://127.0.0.1:1'] })));
  const fake = new FakeClient();
  const off = process.env.DL === '0' ? { attemptTimeoutMs: 0, deadlineMs: 0 } : {};
  const proxy = new RegistryClientProxy('user-service', lb, resolveClientRetry(), {}, undefined, resolveCallDeadlines(off));
  const target = lb.pick('user-service');
  proxy.unwrap<Map<string, { address: string; client: ClientProxy }>>().set(target.key, { address: target.address, client: fake });
  await compare(
    'tcp',
    () => firstValueFrom(fake.send('get-user', { id: '1' })),
    () => firstValueFrom(proxy.send('get-user', { id: '1' })),
    blocks,
    20_000,
  );
}

/** The same over loopback: an in-process Nest TCP microservice, a plain ClientTCP against the proxy's own. */
async function tcpLoopback(blocks: number): Promise<void> {
  @Controller()
  class Users {
    @MessagePattern('get-user')
    getUser(@Payload() data: { id: string }) {
      return { id: data.id };
    }
  }
  @Module({ controllers: [Users] })
  class ServerModule {}
  const port = await freePort();
  const server = await NestFactory.createMicroservice(ServerModule, {
    transport: Transport.TCP,
    options: { host: '127.0.0.1', port },
    logger: false,
  });
  await server.listen();
  const lb = new LoadBalancer({ transport: TCP_ADDRESSING });
  lb.apply(fleetOf(instance('user-service', 'u1', { address: `127.0.0.1:${port}`, endpoints: [`tcp://127.0.0.1:${port}`] })));
  const proxy = new RegistryClientProxy('user-service', lb, resolveClientRetry(), {}, undefined, resolveCallDeadlines());
  const plain = ClientProxyFactory.create({ transport: Transport.TCP, options: { host: '127.0.0.1', port } });
  await plain.connect();
  await compare(
    'tcp-loopback',
    () => firstValueFrom(plain.send('get-user', { id: '1' })),
    () => firstValueFrom(proxy.send('get-user', { id: '1' })),
    blocks,
    2000,
  );
  await plain.close();
  await proxy.close();
  await server.close();
}

async function main(): Promise<void> {
  const which = process.argv[2] ?? 'all';
  const blocks = Number(process.argv[3] ?? 20);
  if (which === 'all' || which === 'tcp') await tcp(blocks);
  if (which === 'all' || which === 'tcp-loopback') await tcpLoopback(blocks);
  if (which === 'all' || which === 'http') await http(blocks);
}

void main();
