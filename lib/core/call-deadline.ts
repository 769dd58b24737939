import type { CallOptions } from '@grpc/grpc-js';
import { monotonicNow } from './deadline';

/**
 * The call options of one attempt of an operation whose budget ends at `deadline` (monotonic ms):
 * every etcd call the attempt makes passes them, so a call never dies before the operation's
 * budget is spent (a slow link whose round trip fits the budget works) nor outlives it.
 *
 * They are handed to the attempt rather than carried in an AsyncLocalStorage: on Node 20 an
 * AsyncLocalStorage in use installs promise hooks for every promise of the process, which cost
 * about 0.1 ms of CPU per register/unregister pair (measured with `node --cpu-prof`).
 */
export function callOptionsUntil(deadline: number): CallOptions {
  return { deadline: new Date(Date.now() + Math.max(0, deadline - monotonicNow())) };
}

/**
 * How long one attempt of an operation runs before the operation starts another one next to it
 * (e.g. a write stuck on a follower whose leader died); the first attempt is not abandoned.
 */
export function attemptTimeoutMs(timeoutMs: number): number {
  return Math.min(timeoutMs, Math.max(500, Math.floor(timeoutMs / 2)));
}

/** What the etcd client tells about a call before it starts it. */
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
