/**
 * The client side of the overhead figure, in its own process (forked with bench/ts-hook.js, so no
 * ts-node domain hooks on its path): one Nest application context holding each wing's client by
 * name beside the fixed-address client of the same instance, both sides of a pair calling the same
 * server process. Takes an OverheadJob over IPC, answers `{ event: 'done', rounds }` (or
 * `{ event: 'failed', error }`).
 *
 * Each round measures every pair, the pairs in a shuffled order and the two sides of a pair in a
 * random order A B B A (seeded: the same orders on every run), each half `sequentialCalls / 2` calls
 * one after another (the round's p50 is over both halves), then the same order again
 * `throughputBlocks` times with `throughputCalls / (2 * throughputBlocks)` calls per slot and
 * `concurrency` in flight (calls per second over all of a side's slots).
 */
import 'reflect-metadata';
import * as grpc from '@grpc/grpc-js';
import { HttpModule, HttpService } from '@nestjs/axios';
import { INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientProxy, ClientProxyFactory, Transport } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import { EtcdRegistryModule, RegistryService } from '../lib';
import { RegistryHttpModule, RegistryHttpService } from '../lib/axios';
import { GrpcNameResolver } from '../lib/grpc';
import { RegistryClientProxy, RegistryClientsModule } from '../lib/microservices';
import { Greeter, GreeterClient, sayHello } from '../test/support/greeter';
import { seededRandom, shuffled } from './stats';

export type PairName = 'http' | 'tcp' | 'grpc';

export interface OverheadJob {
  endpoints: string[];
  prefix: string;
  /** The server's fixed addresses. */
  http: string;
  tcp: { host: string; port: number };
  grpc: string;
  pairs: PairName[];
  rounds: number;
  sequentialCalls: number;
  throughputCalls: number;
  concurrency: number;
  /** A B B A blocks per round for the throughput halves (each block `throughputCalls / (2 * blocks)` calls per side per slot). */
  throughputBlocks: number;
  warmupCalls: number;
  seed: number;
}

/** One pair in one round: each side's p50 of its sequential calls (ms) and its calls per second. */
export interface OverheadRound {
  pair: PairName;
  round: number;
  /** Which side ran first in this round. */
  first: 'byName' | 'fixed';
  p50ByNameMs: number;
  p50FixedMs: number;
  throughputByName: number;
  throughputFixed: number;
}

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
  const plainTcp: ClientProxy = ClientProxyFactory.create({ transport: Transport.TCP, options: job.tcp });
  await plainTcp.connect();
  const resolver = await GrpcNameResolver.watch(app.get(RegistryService), { prefix: job.prefix, codec: 'json', scheme: 'etcd-bench' });
  const greeterByName: GreeterClient = new Greeter(resolver.target('user-service'), grpc.credentials.createInsecure());
  const greeterFixed: GreeterClient = new Greeter(job.grpc, grpc.credentials.createInsecure());

  const calls: Record<PairName, { byName: Call; fixed: Call }> = {
    http: {
      byName: () => firstValueFrom(registryHttp.get('http://user-service/users/1')),
      fixed: () => firstValueFrom(plainHttp.get(`${job.http}/users/1`)),
    },
    tcp: {
      byName: () => firstValueFrom(users.send('get-user', { id: '1' })),
      fixed: () => firstValueFrom(plainTcp.send('get-user', { id: '1' })),
    },
    grpc: {
      byName: () => sayHello(greeterByName, 'b'),
      fixed: () => sayHello(greeterFixed, 'b'),
    },
  };
  const close = async () => {
    greeterByName.close();
    greeterFixed.close();
    await resolver.close();
    await plainTcp.close();
    await app.close();
  };
  return { calls, close };
}

async function run(job: OverheadJob): Promise<OverheadRound[]> {
  const { calls, close } = await openClients(job);
  try {
    // Warm-up: every connection open, the JIT settled, on both sides of every pair.
    for (const pair of job.pairs) {
      await sequentialMs(calls[pair].byName, job.warmupCalls);
      await sequentialMs(calls[pair].fixed, job.warmupCalls);
      await throughputSeconds(calls[pair].byName, job.warmupCalls, job.concurrency);
      await throughputSeconds(calls[pair].fixed, job.warmupCalls, job.concurrency);
    }
    const random = seededRandom(job.seed);
    const rounds: OverheadRound[] = [];
    for (let round = 0; round < job.rounds; round++) {
      for (const pair of shuffled(job.pairs, random)) {
        const first = random() < 0.5 ? 'byName' : 'fixed';
        const second = first === 'byName' ? 'fixed' : 'byName';
        // A B B A: a drift of the machine's load within the round falls on both sides alike.
        const order = [first, second, second, first] as const;
        const latency = { byName: [] as number[], fixed: [] as number[] };
        const seconds = { byName: 0, fixed: 0 };
        const half = { sequential: Math.ceil(job.sequentialCalls / 2), throughput: Math.ceil(job.throughputCalls / 2) };
        for (const side of order) latency[side].push(...(await sequentialMs(calls[pair][side], half.sequential)));
        // Throughput in several A B B A blocks of shorter slots: the machine's load drifts on a scale of
        // 100 ms, and slots of tens of ms put the same drift on both sides.
        const slot = Math.ceil(half.throughput / job.throughputBlocks);
        for (let block = 0; block < job.throughputBlocks; block++)
          for (const side of order) seconds[side] += await throughputSeconds(calls[pair][side], slot, job.concurrency);
        const p50s = { byName: p50(latency.byName), fixed: p50(latency.fixed) };
        const perSide = 2 * slot * job.throughputBlocks;
        const tput = { byName: perSide / seconds.byName, fixed: perSide / seconds.fixed };
        rounds.push({
          pair,
          round,
          first,
          p50ByNameMs: p50s.byName,
          p50FixedMs: p50s.fixed,
          throughputByName: tput.byName,
          throughputFixed: tput.fixed,
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
