import { RESTORE_BACKOFF, backoffDelay } from '../../lib/core/backoff';

describe('backoffDelay', () => {
  const policy = { initialMs: 1000, maxMs: 2000 };

  it('grows exponentially up to the cap', () => {
    expect(backoffDelay(0, policy, () => 1)).toBe(1000);
    expect(backoffDelay(1, policy, () => 1)).toBe(2000);
    expect(backoffDelay(10, policy, () => 1)).toBe(2000);
    expect(backoffDelay(10_000, policy, () => 1)).toBe(2000);
  });

  it('never goes below a tenth of the window: no tight loop', () => {
    expect(backoffDelay(0, policy, () => 0)).toBe(100);
    expect(backoffDelay(5, policy, () => 0)).toBe(200);
  });

  it('spreads many clients over the window', () => {
    let seed = 42;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const delays = Array.from({ length: 1000 }, () => backoffDelay(0, RESTORE_BACKOFF, random));
    const buckets = new Array(9).fill(0);
    for (const d of delays) buckets[Math.min(8, Math.floor((d - 100) / 100))]++;
    // Each 100 ms slice of the 100-1000 ms window gets roughly a ninth of the clients.
    for (const b of buckets) expect(b).toBeGreaterThan(60);
    for (const b of buckets) expect(b).toBeLessThan(170);
  });
});
