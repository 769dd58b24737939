import type { BalancedInstance } from './balanced-instance';
import type { Clock, Picker, RandomSource } from './picker.interface';

/** p2c-latency: an instance left out of every pick for this long is picked once (a probe), ms. */
export const PROBE_AFTER_MS = 1000;

/**
 * Power of two choices: two distinct random candidates, the one with the lower load wins (a tie
 * goes to the first). Load is either the calls in flight, or (latency + 1 ms) × (calls in flight + 1),
 * the latency being the instance's time-decayed average (see ServiceBalancer). On latency, the loser
 * of a pair that no pick has chosen for PROBE_AFTER_MS is picked instead, so an instance that once
 * looked slow is measured again (go-zero's p2c does the same).
 */
export class PowerOfTwoPicker implements Picker {
  private list: readonly BalancedInstance[] = [];

  constructor(
    private readonly random: RandomSource,
    private readonly by: 'in-flight' | 'latency',
    private readonly now: Clock = Date.now,
  ) {}

  reset(candidates: readonly BalancedInstance[]): void {
    this.list = candidates;
  }

  pick(): BalancedInstance | undefined {
    const n = this.list.length;
    if (n <= 1) return this.list[0];
    const i = Math.floor(this.random() * n);
    let j = Math.floor(this.random() * (n - 1));
    if (j >= i) j++;
    const a = this.list[i];
    const b = this.list[j];
    if (this.by === 'in-flight') return b.inFlight < a.inFlight ? b : a;
    const [winner, loser] = this.load(b) < this.load(a) ? [b, a] : [a, b];
    const now = this.now();
    const chosen = now - loser.pickedAt >= PROBE_AFTER_MS ? loser : winner;
    chosen.pickedAt = now;
    return chosen;
  }

  private load(c: BalancedInstance): number {
    return (c.latencyMs + 1) * (c.inFlight + 1);
  }
}
