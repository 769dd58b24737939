/** `promise`, or a rejection naming `what` after `ms` (a call the code under test leaves pending fails the test). */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} still pending after ${ms} ms`)), ms))),
  ]).finally(() => clearTimeout(timer));
}

/** The errors of the rejected results of `Promise.allSettled`. */
export const failures = <T>(results: Array<PromiseSettledResult<T>>): Error[] =>
  results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as Error);
