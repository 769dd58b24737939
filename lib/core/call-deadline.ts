import { AsyncLocalStorage } from 'async_hooks';
import { monotonicNow } from './deadline';

/** The deadline (monotonic ms) of the operation a call belongs to, carried through its async calls. */
const operationDeadline = new AsyncLocalStorage<number>();

/** Runs `fn` so that every etcd call it makes, directly or through awaited helpers, ends by `deadline`. */
export function withCallDeadline<T>(deadline: number, fn: () => T): T {
  return operationDeadline.run(deadline, fn);
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
 * The gRPC deadline of one unary call (streams get none: it would end them). A call never dies
 * before its operation's budget is spent, so a slow link whose round trip fits the budget
 * works; nor does it outlive the budget. Calls outside an operation get `timeoutMs`. A lease
 * grant is shared by the attempts of an operation (they cannot replace it by a retry of their
 * own), so it gets `attemptMs` at most: a grant stuck on a dead leader is given up and asked anew.
 */
export function unaryCallDeadline(ctx: CallContext, timeoutMs: number, attemptMs: number): Date | undefined {
  if (ctx.isStream) return undefined;
  const deadline = operationDeadline.getStore();
  let ms = deadline === undefined ? timeoutMs : Math.max(0, deadline - monotonicNow());
  if (ctx.method === 'leaseGrant') ms = Math.min(ms, attemptMs);
  return new Date(Date.now() + ms);
}
