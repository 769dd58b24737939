import type { CallOptions } from '@grpc/grpc-js';
import { ITxnRequest, ITxnResponse, Namespace, castGrpcError } from 'etcd3';
import { HostSelection, hostSelectionOf, isHostFailure } from './host-selection';

/** Sends one of the keeper's transactions (already carrying its keys' namespace). */
export type TxnSender = (request: ITxnRequest, call?: CallOptions) => Promise<ITxnResponse>;

/** etcd3's path: its KV client (retry and breaker policies, auth, the client's call options). */
export const etcd3Txn =
  (kv: Namespace): TxnSender =>
  (request, call) =>
    kv.kv.txn(request, call);

type Callback = (error: Error | null, response?: ITxnResponse) => void;

/** What is used of etcd3 1.1.2's connection pool (internals: checked, see directTxn). */
interface PoolShape {
  options?: { auth?: unknown };
  mockImpl?: unknown;
  hosts?: {
    host: string;
    getServiceClient(name: 'KV'): { txn(request: ITxnRequest, options: CallOptions, callback: Callback): unknown };
  }[];
}

/**
 * The keeper's transactions sent straight on etcd3's gRPC client of a host, past etcd3's call
 * path: its retry and circuit-breaker policies, and the host-failure interceptor that path needs,
 * delayed each write by about 0.03 ms on an idle process (in-process A/B: 17 us each, BENCHMARKS.md
 * "What was cut"), and none of them is needed here:
 * - the operation runner retries, bounds every call by the operation's deadline, and starts a
 *   second attempt next to a stuck one;
 * - hosts: the one that answered last is used again while the client's HostSelection does not
 *   avoid it; a host-level failure (its connection, or no answer before the attempt's deadline)
 *   is reported to the selection, which avoids that host, and the next call goes to the first
 *   host in the selection's order; a call made while others are in flight (an attempt started
 *   next to a stuck one) goes to the first usable host in that order with no call in flight, and
 *   with none such to the first in the order (every member avoided: the one that failed longest
 *   ago, never one that just refused);
 * - errors are etcd3's classes (castGrpcError) but never reach etcd3's breaker nor reset its
 *   channels, which is what the interceptor is there to prevent for etcd3's own path.
 *
 * Falls back to etcd3's path (undefined) when auth is on (etcd3 holds and renews the token) or
 * when the client is not the etcd3 1.1.2 this reads (a mock, another version).
 */
export function directTxn(kv: Namespace): TxnSender | undefined {
  const pool = (kv.kv as unknown as { client?: PoolShape }).client;
  const hosts = pool?.hosts;
  if (!pool || pool.options?.auth !== undefined || pool.mockImpl || !Array.isArray(hosts) || hosts.length === 0) return undefined;
  if (!hosts.every((h) => typeof h.getServiceClient === 'function')) return undefined;
  const selection: HostSelection = hostSelectionOf(pool) ?? new HostSelection(hosts.map((h) => h.host));
  // Each registry starts on a host of its own, as etcd3 shuffles its hosts per call.
  let preferred = hosts[Math.floor(Math.random() * hosts.length)];
  /** Calls in flight per host. */
  const busy = new Map<string, number>();
  return (request, call) => {
    const order = selection.ordered(hosts, (h) => h.host, preferred);
    const host = order.find((h) => !busy.get(h.host) && !selection.isAvoided(h.host)) ?? order[0];
    let client;
    try {
      client = host.getServiceClient('KV');
    } catch (error) {
      // etcd3 refuses a closed client here (ClientClosedError).
      return Promise.reject(error);
    }
    busy.set(host.host, (busy.get(host.host) ?? 0) + 1);
    return new Promise<ITxnResponse>((resolve, reject) => {
      client.txn(request, call ?? {}, (error, response) => {
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
