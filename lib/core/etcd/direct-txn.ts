import type { CallOptions } from '@grpc/grpc-js';
import { Etcd3, ITxnRequest, ITxnResponse, Namespace, castGrpcError } from 'etcd3';
import { HostSelection, hostSelectionOf, isHostFailure } from './host-selection';
import { decodeTxnResponse, encodeTxnRequest } from './txn-codec';

/** Sends one of the keeper's transactions (already carrying its keys' namespace). */
export type TxnSender = (request: ITxnRequest, call?: CallOptions) => Promise<ITxnResponse>;

/** etcd3's path: its KV client (fault policies, auth, the client's call options). */
export const etcd3Txn =
  (kv: Namespace): TxnSender =>
  (request, call) =>
    kv.kv.txn(request, call);

type Callback = (error: Error | null, response?: ITxnResponse) => void;

/** etcd's KV path on gRPC; the method etcd3's generated client calls Txn through. */
const TXN_PATH = '/etcdserverpb.KV/Txn';

/** What is used of a host's gRPC KV client (a @grpc/grpc-js Client made by etcd3). */
interface KvClientShape {
  makeUnaryRequest(
    method: string,
    serialize: (request: ITxnRequest) => Buffer,
    deserialize: (bytes: Buffer) => ITxnResponse,
    request: ITxnRequest,
    options: CallOptions,
    callback: Callback,
  ): unknown;
}

/** What is used of etcd3 1.1.2's connection pool (private: checked by directTxnMissing). */
interface PoolShape {
  options?: { auth?: unknown };
  mockImpl?: unknown;
  hosts?: {
    host: string;
    getServiceClient(name: 'KV'): KvClientShape;
  }[];
}

/** etcd3's private pool behind a namespace's KV client (`Namespace#kv.client`). */
const poolOfKv = (kv: Namespace): PoolShape | undefined => (kv.kv as unknown as { client?: PoolShape }).client;

/**
 * What of etcd3's shape the direct path relies on is missing from `client` (undefined: nothing):
 * its KV client's private `client` is the connection pool, whose hosts hand out gRPC KV clients
 * with grpc-js's `makeUnaryRequest`. Checked when the client is created (etcd-client.factory.ts).
 */
export function directTxnMissing(client: Etcd3): string | undefined {
  const pool = poolOfKv(client);
  if (!pool || pool !== (client as unknown as { pool?: unknown }).pool) return 'Namespace#kv.client (the connection pool)';
  if (!Array.isArray(pool.hosts) || !pool.hosts.every((h) => typeof h.host === 'string' && typeof h.getServiceClient === 'function')) {
    return 'ConnectionPool#hosts with Host#getServiceClient()';
  }
  if (typeof pool.options !== 'object' || pool.options === null) return 'ConnectionPool#options';
  if (pool.options.auth === undefined && typeof pool.hosts[0]?.getServiceClient('KV').makeUnaryRequest !== 'function')
    return "the gRPC KV client's makeUnaryRequest()";
  return undefined;
}

/**
 * The keeper's transactions sent straight on etcd3's gRPC client of a host, past etcd3's call path.
 *
 * What etcd3 does (1.1.2): `kv.txn()` goes through the pool's `exec`: the global and host fault
 * policies, the auth step, the client's call options and the host-failure interceptor they carry.
 *
 * Why it is bypassed: that path delayed each write by about 0.03 ms on an idle process (in-process
 * A/B: 17 us each, BENCHMARKS.md "What was cut"), and none of it is needed here:
 * - the operation runner retries, bounds every call by the operation's deadline, and starts a
 *   second attempt next to a stuck one;
 * - hosts: the one that answered last is used again while the client's HostSelection does not
 *   avoid it; a host-level failure (its connection, or no answer before the attempt's deadline)
 *   is reported to the selection, which avoids that host, and the next call goes to the first
 *   host in the selection's order; a call made while others are in flight (an attempt started
 *   next to a stuck one) goes to the first usable host in that order with no call in flight, and
 *   with none such to the first in the order (every member avoided: the one that failed longest
 *   ago, never one that just refused);
 * - errors are etcd3's classes (castGrpcError) but never reset etcd3's channels, which is what the
 *   interceptor is there to prevent for etcd3's own path.
 *
 * The request and its answer are encoded by hand (txn-codec.ts) rather than by protobufjs, through
 * grpc-js's public `Client#makeUnaryRequest` on the same client (its channel, credentials and
 * interceptors): protobufjs took about 12 us a write before the call started.
 *
 * What it relies on: `Namespace#kv.client` being the pool, the pool's `options.auth`, `mockImpl`
 * (set by etcd3's `mock()`) and `hosts` (`host`, `getServiceClient('KV')` giving a grpc-js Client with
 * `makeUnaryRequest`), and `castGrpcError`. The client's creation fails (Etcd3InternalsError) when they are missing;
 * test/integration/etcd3-contract.spec.ts and direct-txn.spec.ts fail first.
 *
 * Falls back to etcd3's path (undefined) when auth is on (etcd3 holds and renews the token) or
 * when the client is not one this reads (a mock, a client handed in from another etcd3).
 */
export function directTxn(kv: Namespace): TxnSender | undefined {
  const pool = poolOfKv(kv);
  const hosts = pool?.hosts;
  if (!pool || pool.options?.auth !== undefined || pool.mockImpl || !Array.isArray(hosts) || hosts.length === 0) return undefined;
  if (!hosts.every((h) => typeof h.getServiceClient === 'function')) return undefined;
  const selection: HostSelection = hostSelectionOf(pool) ?? new HostSelection(hosts.map((h) => h.host));
  // Each registry starts on a host of its own, as etcd3 shuffles its hosts per call.
  let preferred = hosts[Math.floor(Math.random() * hosts.length)];
  /** Calls in flight per host. */
  const busy = new Map<string, number>();
  return (request, call) => {
    // The host that answered last, while usable and idle, is the one the order would pick first.
    let host = preferred;
    if (busy.get(host.host) || selection.isAvoided(host.host)) {
      const order = selection.ordered(hosts, (h) => h.host, preferred);
      host = order.find((h) => !busy.get(h.host) && !selection.isAvoided(h.host)) ?? order[0];
    }
    let client;
    try {
      client = host.getServiceClient('KV');
    } catch (error) {
      // etcd3 refuses a closed client here (ClientClosedError).
      return Promise.reject(error);
    }
    busy.set(host.host, (busy.get(host.host) ?? 0) + 1);
    return new Promise<ITxnResponse>((resolve, reject) => {
      client.makeUnaryRequest(TXN_PATH, encodeTxnRequest, decodeTxnResponse, request, call ?? {}, (error, response) => {
        busy.set(host.host, busy.get(host.host)! - 1);
        if (!error) {
          preferred = host;
          selection.answered(host.host);
          return resolve(response!);
        }
        const cast = castGrpcError(error);
        if (isHostFailure(cast)) selection.failed(host.host);
        reject(cast);
      });
    });
  };
}
