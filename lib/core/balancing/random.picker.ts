import type { BalancedInstance } from './balanced-instance';
import type { Picker, RandomSource } from './picker.interface';

/** A uniformly random candidate. */
export class RandomPicker implements Picker {
  private list: readonly BalancedInstance[] = [];

  constructor(private readonly random: RandomSource) {}

  reset(candidates: readonly BalancedInstance[]): void {
    this.list = candidates;
  }

  pick(): BalancedInstance | undefined {
    const n = this.list.length;
    return n === 0 ? undefined : this.list[Math.floor(this.random() * n)];
  }
}
