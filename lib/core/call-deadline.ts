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

/** The shortest attempt: below it a busy process would cut calls that a member answers. */
export const MIN_ATTEMPT_MS = 50;

/**
 * How long one attempt of an operation with `budgetMs` waits for a member while another member
 * can take the next attempt: `attemptTimeoutMs`, and at most a third of the budget (so a short
 * budget, a health probe's, still has room for two more attempts), never below MIN_ATTEMPT_MS.
 */
export function attemptMsFor(attemptTimeoutMs: number, budgetMs: number): number {
  return Math.max(Math.min(MIN_ATTEMPT_MS, budgetMs), Math.min(attemptTimeoutMs, Math.floor(budgetMs / 3)));
}
