import type { BalancedInstance } from './balanced-instance';
import type { Picker } from './picker.interface';

/**
 * Candidates of the caller's zone first, through their own picker; when the zone has none (every
 * instance there left, drains or is ejected), the candidates of the other zones.
 */
export class ZoneAffinePicker implements Picker {
  private hasLocal = false;

  constructor(
    private readonly zone: string,
    private readonly local: Picker,
    private readonly others: Picker,
  ) {}

  reset(candidates: readonly BalancedInstance[]): void {
    const local = candidates.filter((c) => c.instance.zone === this.zone);
    this.hasLocal = local.length > 0;
    this.local.reset(local);
    this.others.reset(this.hasLocal ? [] : candidates);
  }

  pick(): BalancedInstance | undefined {
    return this.hasLocal ? this.local.pick() : this.others.pick();
  }
}
