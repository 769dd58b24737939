import type { CallOptions } from '@grpc/grpc-js';
import { hostFailureInterceptor } from './host-failure.interceptor';
import { requireLeader } from './require-leader.interceptor';

/**
 * etcd3's `defaultCallOptions`, as a function of the call.
 *
 * What etcd3 does (1.1.2): before each unary call and each stream it calls `defaultCallOptions`
 * with `{ service, method, params, isStream }` and hands what it returns to grpc-js as the call's
 * options (a call's own options, e.g. an attempt's deadline, are merged over them). Watch and lease
 * keep-alive streams get them too, so a deadline given to every call would end the streams.
 *
 * What this relies on: that context (`isStream`, `method`, e.g. 'leaseGrant'), and grpc-js taking
 * `interceptors` from the call options. test/integration/etcd3-contract.spec.ts fails otherwise.
 */

/** What etcd3 tells about a call before it starts it. */
export interface CallContext {
  isStream: boolean;
  method?: string;
}

/**
 * The default gRPC deadline of one unary call, for calls that pass none of their own (those made
 * outside an operation): `timeoutMs`. Streams get none: it would end them. A lease grant is shared
 * by the attempts of an operation (they cannot replace it by a retry of their own), so it gets
 * `attemptMs` at most: a grant stuck on a dead leader is given up and asked anew.
 */
export function unaryCallDeadline(ctx: CallContext, timeoutMs: number, attemptMs: number): Date | undefined {
  if (ctx.isStream) return undefined;
  return new Date(Date.now() + (ctx.method === 'leaseGrant' ? Math.min(timeoutMs, attemptMs) : timeoutMs));
}

const UNARY_INTERCEPTORS = [hostFailureInterceptor];
// Streams (watch, lease keep-alive) get no deadline (it would kill them) but require a leader.
const STREAM_INTERCEPTORS = [hostFailureInterceptor, requireLeader];

/** The client's `defaultCallOptions`: a unary call's deadline and every call's interceptors. */
export function defaultCallOptions(timeoutMs: number, attemptMs: number): (ctx: CallContext) => CallOptions {
  return (ctx) => {
    const deadline = unaryCallDeadline(ctx, timeoutMs, attemptMs);
    return deadline
      ? { deadline, interceptors: UNARY_INTERCEPTORS }
      : { interceptors: ctx.isStream ? STREAM_INTERCEPTORS : UNARY_INTERCEPTORS };
  };
}
