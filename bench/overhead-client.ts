/**
 * The client side of the overhead figure, in its own process (forked with bench/ts-hook.js, so no
 * ts-node domain hooks on its path): one Nest application context holding, per transport, three
 * clients of the same server: the wing's client by name (`byName`), the fixed-address client
 * (`fixed`, the baseline) and a second fixed-address client built the same way (`twin`, the A/A
 * control: its ratio to `fixed` is what the noise alone makes of a ratio). Takes an OverheadJob over
 * IPC, answers `{ event: 'done', rounds }` (or `{ event: 'failed', error }`).
 *
 * Each round measures every pair (in a shuffled order), each in short interleaved blocks: the three
 * sides take turns, block after block, in an order that runs through all six permutations (from a
 * random start), so each side is as often first, middle and last, and a drift of the shared
 * machine's load over tens of ms falls on the three sides alike. Latency: `sequentialBlocks` blocks
 * of `sequentialCalls / sequentialBlocks` calls one after another per side (the round's p50 is over a
 * side's blocks). Throughput: `throughputBlocks[pair]` blocks of `throughputBlockCalls` calls per
 * side with `concurrency` in flight; each block's ratio is kept (see OverheadRound.throughputBlockRatios).
 */
import 'reflect-metadata';
import * as grpc from '@grpc/grpc-js';
import { HttpModule, HttpService } from '@nestjs/axios';
import { INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientProxy, ClientProxyFactory, Transport } from '@nestjs/microservices';
import axios from 'axios';
import { firstValueFrom } from 'rxjs';
import { EtcdRegistryModule, RegistryService } from '../lib';
import { RegistryHttpModule, RegistryHttpService } from '../lib/axios';
import { GrpcNameResolver } from '../lib/grpc';
import { RegistryClientProxy, RegistryClientsModule } from '../lib/microservices';
import { Greeter, GreeterClient, sayHello } from '../test/support/greeter';
import { SIDES, type OverheadJob, type OverheadRound, type PairName, type Side } from './overhead-job';
import { seededRandom, shuffled } from './stats';

type Call = () => Promise<unknown>;

function p50(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil(sorted.length / 2) - 1];
}

/** Each call's time, ms, one call after another. */
async function sequentialMs(call: Call, calls: number): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t0 = process.hrtime.bigint();
    await call();
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return ms;
}

/** Seconds for `calls` calls with `concurrency` in flight. */
async function throughputSeconds(call: Call, calls: number, concurrency: number): Promise<number> {
  let left = calls;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left-- > 0) await call();
    }),
  );
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function openClients(job: OverheadJob) {
  @Module({
    imports: [
      EtcdRegistryModule.forRoot({ endpoints: job.endpoints, isGlobal: true }),
      RegistryHttpModule.forRoot({ prefix: job.prefix, codec: 'json' }),
      RegistryClientsModule.forRoot({
        clients: [{ name: 'USERS', service: 'user-service', transport: Transport.TCP, prefix: job.prefix, codec: 'json' }],
      }),
      HttpModule,
    ],
  })
  class ClientModule {}

  const app: INestApplicationContext = await NestFactory.createApplicationContext(ClientModule, { logger: ['error'] });
  await app.init();
  const registryHttp = app.get(RegistryHttpService);
  const plainHttp = app.get(HttpService);
  const users = app.get<RegistryClientProxy>('USERS');
  // The A/A control of each transport: a second fixed-address client, built as the first one is.
  const twinHttp = new HttpService(axios);
  const plainTcp: ClientProxy = ClientProxyFactory.create({ transport: Transport.TCP, options: job.tcp });
  const twinTcp: ClientProxy = ClientProxyFactory.create({ transport: Transport.TCP, options: job.tcp });
  await plainTcp.connect();
  await twinTcp.connect();
  const resolver = await GrpcNameResolver.watch(app.get(RegistryService), { prefix: job.prefix, codec: 'json', scheme: 'etcd-bench' });
  const greeterByName: GreeterClient = new Greeter(resolver.target('user-service'), grpc.credentials.createInsecure());
  const greeterFixed: GreeterClient = new Greeter(job.grpc, grpc.credentials.createInsecure());
  const greeterTwin: GreeterClient = new Greeter(job.grpc, grpc.credentials.createInsecure());

  const calls: Record<PairName, Record<Side, Call>> = {
    http: {
      byName: () => firstValueFrom(registryHttp.get('http://user-service/users/1')),
      fixed: () => firstValueFrom(plainHttp.get(`${job.http}/users/1`)),
      twin: () => firstValueFrom(twinHttp.get(`${job.http}/users/1`)),
    },
    tcp: {
      byName: () => firstValueFrom(users.send('get-user', { id: '1' })),
      fixed: () => firstValueFrom(plainTcp.send('get-user', { id: '1' })),
      twin: () => firstValueFrom(twinTcp.send('get-user', { id: '1' })),
    },
    grpc: {
      byName: () => sayHello(greeterByName, 'b'),
      fixed: () => sayHello(greeterFixed, 'b'),
      twin: () => sayHello(greeterTwin, 'b'),
    },
  };
  const close = async () => {
    greeterByName.close();
    greeterFixed.close();
    greeterTwin.close();
    await resolver.close();
    await plainTcp.close();
    await twinTcp.close();
    await app.close();
  };
  return { calls, close };
}

/** The six orders of the three sides: consecutive blocks walk through them, so each side is as often first, middle and last. */
const ORDERS: readonly (readonly Side[])[] = [
  ['byName', 'fixed', 'twin'],
  ['fixed', 'twin', 'byName'],
  ['twin', 'byName', 'fixed'],
  ['twin', 'fixed', 'byName'],
  ['fixed', 'byName', 'twin'],
  ['byName', 'twin', 'fixed'],
];

function bySide<T>(make: () => T): Record<Side, T> {
  return { byName: make(), fixed: make(), twin: make() };
}

async function run(job: OverheadJob): Promise<OverheadRound[]> {
  const { calls, close } = await openClients(job);
  try {
    // Warm-up: every connection open, the JIT settled, on every side of every pair.
    for (const pair of job.pairs)
      for (const side of SIDES) {
        await sequentialMs(calls[pair][side], job.warmupCalls);
        await throughputSeconds(calls[pair][side], job.warmupCalls, job.concurrency);
      }
    const random = seededRandom(job.seed);
    const rounds: OverheadRound[] = [];
    const perSequential = Math.ceil(job.sequentialCalls / job.sequentialBlocks);
    for (let round = 0; round < job.rounds; round++) {
      for (const pair of shuffled(job.pairs, random)) {
        const side = calls[pair];
        const latency = bySide<number[]>(() => []);
        const seconds = bySide<number[]>(() => []);
        let order = Math.floor(random() * ORDERS.length);
        for (let block = 0; block < job.sequentialBlocks; block++)
          for (const s of ORDERS[order++ % ORDERS.length]) latency[s].push(...(await sequentialMs(side[s], perSequential)));
        const blocks = job.throughputBlocks[pair];
        for (let block = 0; block < blocks; block++)
          for (const s of ORDERS[order++ % ORDERS.length])
            seconds[s].push(await throughputSeconds(side[s], job.throughputBlockCalls, job.concurrency));
        const total = job.throughputBlockCalls * blocks;
        const rate = (s: Side) => total / seconds[s].reduce((a, b) => a + b, 0);
        const blockRatios = (s: Side) => seconds.fixed.map((fixed, block) => fixed / seconds[s][block]);
        rounds.push({
          pair,
          round,
          p50Ms: { byName: p50(latency.byName), fixed: p50(latency.fixed), twin: p50(latency.twin) },
          throughput: { byName: rate('byName'), fixed: rate('fixed'), twin: rate('twin') },
          throughputBlockRatios: { byName: blockRatios('byName'), twin: blockRatios('twin') },
        });
      }
    }
    return rounds;
  } finally {
    await close();
  }
}

process.once('message', (job: OverheadJob) => {
  run(job).then(
    (rounds) => process.send?.({ event: 'done', rounds }, () => process.exit(0)),
    (error: unknown) =>
      process.send?.({ event: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) }, () =>
        process.exit(1),
      ),
  );
});
process.send?.({ event: 'ready' });
