import type { BalancedInstance } from './balanced-instance';
import type { Picker, RandomSource } from './picker.interface';

/**
 * Power of two choices: two distinct random candidates, the one with the lower load wins (a tie
 * goes to the first). Load is either the calls in flight, or the latency EWMA scaled by the calls
 * in flight plus one (an instance not yet measured counts 0, so it is tried soon).
 */
export class PowerOfTwoPicker implements Picker {
  private list: readonly BalancedInstance[] = [];

  constructor(
    private readonly random: RandomSource,
    private readonly by: 'in-flight' | 'latency',
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
    return this.load(b) < this.load(a) ? b : a;
  }

  private load(c: BalancedInstance): number {
    return this.by === 'in-flight' ? c.inFlight : c.latencyMs * (c.inFlight + 1);
  }
}
