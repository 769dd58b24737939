/**
 * Polls `fn` until it returns a truthy value (resolved with it), or rejects naming `what` once
 * `timeoutMs` has passed. Errors thrown by `fn` count as "not yet" until the deadline.
 */
export async function waitUntil<T>(fn: () => T | Promise<T>, what: string, timeoutMs: number, intervalMs = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() >= deadline) {
      const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
