export interface BackoffPolicy {
  /** Window of the first attempt, in ms. */
  initialMs: number;
  /** Cap of the window, in ms. */
  maxMs: number;
}

/**
 * Capped exponential backoff with jitter: attempt n waits a random time in [w/10, w] where
 * w = min(maxMs, initialMs * 2^n). Never near zero (no tight loop), and many clients failing
 * at once spread their retries over the whole window (no thundering herd).
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const window = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(Math.max(attempt, 0), 30));
  return Math.round(window * (0.1 + 0.9 * random()));
}

/** Re-registration after a lost lease: first within 0.1-1 s, then windows of 2 s at most. */
export const RESTORE_BACKOFF: BackoffPolicy = { initialMs: 1000, maxMs: 2000 };

/** Re-reading a watched prefix after a disconnect or compaction: 10-100 ms first, windows of 1 s at most. */
export const RESYNC_BACKOFF: BackoffPolicy = { initialMs: 100, maxMs: 1000 };
