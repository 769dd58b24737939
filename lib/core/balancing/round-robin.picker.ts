import type { BalancedInstance } from './balanced-instance';
import type { Picker, RandomSource } from './picker.interface';

/** Each candidate in turn, starting at a random one (so many callers do not all begin with the first). */
export class RoundRobinPicker implements Picker {
  private list: readonly BalancedInstance[] = [];
  private next: number;

  constructor(random: RandomSource) {
    this.next = Math.floor(random() * 1024);
  }

  reset(candidates: readonly BalancedInstance[]): void {
    this.list = candidates;
  }

  pick(): BalancedInstance | undefined {
    const n = this.list.length;
    if (n === 0) return undefined;
    this.next = (this.next + 1) % n;
    return this.list[this.next];
  }
}
