import { waitUntil } from '../../lib/testing/etcd/wait-until';

/**
 * Polls `fn` until it returns a truthy value (resolved with it), or rejects with `message`
 * once `timeoutMs` has passed. Errors thrown by `fn` count as "not yet" until the deadline.
 * The fault kit's own poller (lib/testing/etcd/wait-until.ts), with the test suites' defaults.
 */
export function waitFor<T>(
  fn: () => T | Promise<T>,
  opts: { timeoutMs?: number; intervalMs?: number; message?: string } = {},
): Promise<NonNullable<T>> {
  const { timeoutMs = 10_000, intervalMs = 20, message = 'condition' } = opts;
  return waitUntil(fn, message, timeoutMs, intervalMs);
}
