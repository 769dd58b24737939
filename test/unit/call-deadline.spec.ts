import { attemptMsFor, callOptionsUntil } from '../../lib/core/call-deadline';
import { unaryCallDeadline } from '../../lib/core/etcd/default-call-options';
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
    const ms = inMs(unaryCallDeadline({ isStream: false, method: 'leaseGrant' }, 5000, 1000))!;
    expect(ms).toBeGreaterThan(900);
    expect(ms).toBeLessThanOrEqual(1000);
  });

  it('attemptMsFor: attemptTimeoutMs, at most a third of the budget, at least 50 ms (or the budget)', () => {
    expect(attemptMsFor(1000, 5000)).toBe(1000);
    expect(attemptMsFor(1000, 3000)).toBe(1000);
    expect(attemptMsFor(1000, 500)).toBe(166);
    expect(attemptMsFor(1000, 90)).toBe(50);
    expect(attemptMsFor(1000, 30)).toBe(30);
  });
});
