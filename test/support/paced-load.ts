/**
 * Starts `call(i)` `ratePerSecond` times a second (without waiting for the previous ones) until
 * `stop()` returns true or `maxCalls` were started, then resolves with every call's outcome once all
 * have settled. Bounded: it stops by itself.
 */
export async function pacedLoad<T>(
  ratePerSecond: number,
  maxCalls: number,
  call: (i: number) => Promise<T>,
  stop: () => boolean = () => false,
): Promise<Array<PromiseSettledResult<T> & { ms: number }>> {
  const started: Array<Promise<PromiseSettledResult<T> & { ms: number }>> = [];
  const every = 1000 / ratePerSecond;
  const t0 = Date.now();
  await new Promise<void>((resolve) => {
    const tick = () => {
      // Catch up when the timer ran late (a loaded machine), so the rate holds on average.
      const due = Math.min(maxCalls, Math.floor((Date.now() - t0) / every) + 1);
      while (started.length < due && !stop()) {
        const i = started.length;
        const s = Date.now();
        started.push(
          call(i).then(
            (value) => ({ status: 'fulfilled' as const, value, ms: Date.now() - s }),
            (reason: unknown) => ({ status: 'rejected' as const, reason, ms: Date.now() - s }),
          ),
        );
      }
      if (started.length >= maxCalls || stop()) resolve();
      else setTimeout(tick, every);
    };
    tick();
  });
  return Promise.all(started);
}
