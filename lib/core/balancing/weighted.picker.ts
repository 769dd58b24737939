import type { BalancedInstance } from './balanced-instance';
import type { Picker, RandomSource } from './picker.interface';

/**
 * A candidate with probability proportional to its instance's `weight`, in O(1) per pick (Vose's
 * alias method; the table is built in O(n) when the candidates change). Weight 0 is never picked,
 * unless every candidate has weight 0: then they are picked uniformly (an instance is better than
 * an error).
 */
export class WeightedPicker implements Picker {
  private list: readonly BalancedInstance[] = [];
  private probability = new Float64Array(0);
  private alias = new Uint32Array(0);

  constructor(private readonly random: RandomSource) {}

  reset(candidates: readonly BalancedInstance[]): void {
    const weights = candidates.map((c) => (Number.isFinite(c.instance.weight) && c.instance.weight > 0 ? c.instance.weight : 0));
    const total = weights.reduce((a, b) => a + b, 0);
    const n = candidates.length;
    this.list = candidates;
    this.probability = new Float64Array(n);
    this.alias = new Uint32Array(n);
    if (n === 0) return;
    const scaled = weights.map((w) => (total > 0 ? (w * n) / total : 1));
    const small: number[] = [];
    const large: number[] = [];
    scaled.forEach((p, i) => (p < 1 ? small : large).push(i));
    while (small.length > 0 && large.length > 0) {
      const s = small.pop()!;
      const l = large.pop()!;
      this.probability[s] = scaled[s];
      this.alias[s] = l;
      scaled[l] = scaled[l] + scaled[s] - 1;
      (scaled[l] < 1 ? small : large).push(l);
    }
    // What is left is 1 up to rounding.
    for (const i of [...small, ...large]) {
      this.probability[i] = 1;
      this.alias[i] = i;
    }
  }

  pick(): BalancedInstance | undefined {
    const n = this.list.length;
    if (n === 0) return undefined;
    const u = this.random() * n;
    const column = Math.floor(u);
    return this.list[u - column < this.probability[column] ? column : this.alias[column]];
  }
}
