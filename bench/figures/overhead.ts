import * as grpc from '@grpc/grpc-js';
import { FrozenInstanceMap } from '../../lib/core/instances/instance-map';
import type { ServiceInstance } from '../../lib';
import { GrpcNameResolver } from '../../lib/grpc';
import { Greeter, GreeterClient, sayHello, startGreeter } from '../../test/support/greeter';
import { BenchContext } from '../bench-context';
import { percentile } from '../stats';

export interface OverheadPair {
  pair: string;
  /** Per-call p50 of the client by name and of the fixed-address client, ms (sequential calls). */
  p50ByNameMs: number;
  p50FixedMs: number;
  /** Calls per second with 16 in flight. */
  throughputByName: number;
  throughputFixed: number;
  p50Ratio: number;
  throughputRatio: number;
}

export interface OverheadResult {
  rounds: number;
  callsPerRound: number;
  pairs: OverheadPair[];
}

const instance = (address: string): ServiceInstance =>
  Object.freeze({
    name: 'greeter',
    id: 'g1',
    address,
    endpoints: [],
    metadata: {},
    weight: 1,
    status: 'up',
    key: '/services/greeter/g1',
    value: address,
    codec: 'bench',
  });

async function sequential(client: GreeterClient, calls: number, into: number[]): Promise<void> {
  for (let i = 0; i < calls; i++) {
    const t0 = process.hrtime.bigint();
    await sayHello(client, 'b');
    into.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
}

async function throughput(client: GreeterClient, calls: number): Promise<number> {
  let left = calls;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (left-- > 0) await sayHello(client, 'b');
    }),
  );
  return calls / (Number(process.hrtime.bigint() - t0) / 1e9);
}

/**
 * Figure 10 (gRPC pair only). Per-call overhead of the gRPC client by name (a channel to
 * `etcd-registry:///greeter`, resolved by GrpcNameResolver) against a client of the fixed
 * address, same server, in interleaved rounds (the order alternates each round). The resolver is
 * fed its map directly: after resolution nothing of the registry is on a call's path, which is
 * what is measured.
 */
export async function measureOverhead(ctx: BenchContext): Promise<OverheadResult> {
  const rounds = ctx.small ? 4 : 10;
  const callsPerRound = ctx.small ? 500 : 2000;
  const server = await startGreeter('g1');
  const resolver = new GrpcNameResolver({ scheme: 'etcd-bench' });
  resolver.apply(new FrozenInstanceMap([['greeter', [instance(server.address)]]], []));
  const byName = new Greeter(resolver.target('greeter'), grpc.credentials.createInsecure());
  const fixed = new Greeter(server.address, grpc.credentials.createInsecure());
  try {
    await sequential(byName, 200, []); // warm-up: connect both, JIT
    await sequential(fixed, 200, []);
    const lat = { byName: [] as number[], fixed: [] as number[] };
    const tput = { byName: [] as number[], fixed: [] as number[] };
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? (['byName', 'fixed'] as const) : (['fixed', 'byName'] as const);
      for (const which of order) {
        const client = which === 'byName' ? byName : fixed;
        await sequential(client, callsPerRound, lat[which]);
        tput[which].push(await throughput(client, callsPerRound));
      }
    }
    const p50ByNameMs = percentile(lat.byName, 50);
    const p50FixedMs = percentile(lat.fixed, 50);
    const throughputByName = percentile(tput.byName, 50);
    const throughputFixed = percentile(tput.fixed, 50);
    const pair: OverheadPair = {
      pair: 'gRPC by name vs fixed address',
      p50ByNameMs,
      p50FixedMs,
      throughputByName,
      throughputFixed,
      p50Ratio: p50ByNameMs / p50FixedMs,
      throughputRatio: throughputByName / throughputFixed,
    };
    ctx.log(
      `   ${pair.pair}: p50 ${p50ByNameMs.toFixed(3)} vs ${p50FixedMs.toFixed(3)} ms (x${pair.p50Ratio.toFixed(3)}), ` +
        `${throughputByName.toFixed(0)} vs ${throughputFixed.toFixed(0)} calls/s (x${pair.throughputRatio.toFixed(3)})`,
    );
    return { rounds, callsPerRound, pairs: [pair] };
  } finally {
    byName.close();
    fixed.close();
    await resolver.close();
    await server.stop();
  }
}
