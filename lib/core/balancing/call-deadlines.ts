import { RegistryOptionsError } from '../errors';
import { balancingMessages } from './messages';

/** The deadlines of a client wing's calls (the same options in the HTTP and the microservices wing). */
export interface CallDeadlineOptions {
  /**
   * Deadline of each attempt, ms: an instance that has not answered by then has failed this call
   * (it counts for ejection, and an idempotent call is retried on another instance). Default 2000
   * (go-zero's and Kratos's client default); 0 turns it off.
   */
  attemptTimeoutMs?: number | undefined;
  /**
   * Deadline of the whole call, retries included, ms: when it passes, the attempt in flight is
   * abandoned (a failure of that instance) and the call fails with CallDeadlineError. Default 5000; 0 turns it off.
   */
  deadlineMs?: number | undefined;
}

export type ResolvedCallDeadlines = Required<CallDeadlineOptions>;

export const DEFAULT_CALL_DEADLINES: ResolvedCallDeadlines = { attemptTimeoutMs: 2000, deadlineMs: 5000 };

export function resolveCallDeadlines(options: CallDeadlineOptions = {}): ResolvedCallDeadlines {
  const resolved = {
    attemptTimeoutMs: options.attemptTimeoutMs ?? DEFAULT_CALL_DEADLINES.attemptTimeoutMs,
    deadlineMs: options.deadlineMs ?? DEFAULT_CALL_DEADLINES.deadlineMs,
  };
  for (const option of ['attemptTimeoutMs', 'deadlineMs'] as const) {
    const value = resolved[option];
    if (!Number.isInteger(value) || value < 0) throw new RegistryOptionsError(option, balancingMessages.deadlineOption(option, value));
  }
  return resolved;
}

/**
 * How long the next attempt may run, ms, given when the call began (`began`, `now` on the same
 * clock): the attempt deadline, cut to what is left of the call's; Infinity when neither is set, 0
 * when the call's deadline has passed.
 */
export function attemptBudgetMs(d: ResolvedCallDeadlines, began: number, now: number): number {
  const attempt = d.attemptTimeoutMs > 0 ? d.attemptTimeoutMs : Infinity;
  const left = d.deadlineMs > 0 ? Math.max(0, began + d.deadlineMs - now) : Infinity;
  return Math.min(attempt, left);
}
