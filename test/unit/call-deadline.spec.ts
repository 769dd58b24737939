import { attemptTimeoutMs, unaryCallDeadline, withCallDeadline } from '../../lib/core/call-deadline';
import { monotonicNow } from '../../lib/core/deadline';

describe('call deadlines', () => {
  const inMs = (d: Date | undefined) => (d ? d.getTime() - Date.now() : undefined);

  it('a unary call made inside an operation gets the operation deadline, through awaits', async () => {
    const deadline = monotonicNow() + 4000;
    const seen = await withCallDeadline(deadline, async () => {
      await new Promise((r) => setTimeout(r, 20));
      await Promise.resolve();
      return inMs(unaryCallDeadline({ isStream: false, method: 'range' }, 9999, 2000));
    });
    expect(seen).toBeGreaterThan(3800);
    expect(seen).toBeLessThanOrEqual(4000);
  });

  it('outside an operation: timeoutMs; streams: none', () => {
    const ms = inMs(unaryCallDeadline({ isStream: false, method: 'range' }, 3000, 1500))!;
    expect(ms).toBeGreaterThan(2900);
    expect(ms).toBeLessThanOrEqual(3000);
    expect(unaryCallDeadline({ isStream: true }, 3000, 1500)).toBeUndefined();
    withCallDeadline(monotonicNow() + 3000, () => expect(unaryCallDeadline({ isStream: true }, 3000, 1500)).toBeUndefined());
  });

  it('a lease grant gets the attempt time at most (attempts share it and cannot replace it)', () => {
    withCallDeadline(monotonicNow() + 5000, () => {
      const ms = inMs(unaryCallDeadline({ isStream: false, method: 'leaseGrant' }, 5000, attemptTimeoutMs(5000)))!;
      expect(ms).toBeGreaterThan(2400);
      expect(ms).toBeLessThanOrEqual(2500);
    });
  });

  it('attemptTimeoutMs: half the budget, at least 500 ms, never more than the budget', () => {
    expect(attemptTimeoutMs(5000)).toBe(2500);
    expect(attemptTimeoutMs(800)).toBe(500);
    expect(attemptTimeoutMs(300)).toBe(300);
  });
});
