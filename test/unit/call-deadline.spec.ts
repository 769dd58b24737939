import { attemptTimeoutMs, callOptionsUntil, unaryCallDeadline } from '../../lib/core/call-deadline';
import { monotonicNow } from '../../lib/core/deadline';

describe('call deadlines', () => {
  const inMs = (d: unknown) => (d instanceof Date ? d.getTime() - Date.now() : undefined);

  it("an attempt's call options carry the operation's deadline, as a wall-clock date", () => {
    const seen = inMs(callOptionsUntil(monotonicNow() + 4000).deadline);
    expect(seen).toBeGreaterThan(3900);
    expect(seen).toBeLessThanOrEqual(4000);
    // A budget already spent gives a deadline of now, never one in the past.
    expect(inMs(callOptionsUntil(monotonicNow() - 500).deadline)).toBeGreaterThanOrEqual(-50);
  });

  it('a call that passes no options of its own: timeoutMs; streams: none', () => {
    const ms = inMs(unaryCallDeadline({ isStream: false, method: 'range' }, 3000, 1500))!;
    expect(ms).toBeGreaterThan(2900);
    expect(ms).toBeLessThanOrEqual(3000);
    expect(unaryCallDeadline({ isStream: true }, 3000, 1500)).toBeUndefined();
  });

  it('a lease grant gets the attempt time at most (attempts share it and cannot replace it)', () => {
    const ms = inMs(unaryCallDeadline({ isStream: false, method: 'leaseGrant' }, 5000, attemptTimeoutMs(5000)))!;
    expect(ms).toBeGreaterThan(2400);
    expect(ms).toBeLessThanOrEqual(2500);
  });

  it('attemptTimeoutMs: half the budget, at least 500 ms, never more than the budget', () => {
    expect(attemptTimeoutMs(5000)).toBe(2500);
    expect(attemptTimeoutMs(800)).toBe(500);
    expect(attemptTimeoutMs(300)).toBe(300);
  });
});
