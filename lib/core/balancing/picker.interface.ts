import type { BalancedInstance } from './balanced-instance';

/**
 * A picking strategy over one service's candidates. `reset` is called when the candidates change
 * (an instance came or left, was ejected or restored) and may take O(n); `pick` is O(1) and never
 * calls etcd.
 */
export interface Picker {
  reset(candidates: readonly BalancedInstance[]): void;
  /** One candidate; undefined only when there is none. */
  pick(): BalancedInstance | undefined;
}

/** A number in [0, 1), like Math.random (the default). Give a seeded one for reproducible picks. */
export type RandomSource = () => number;

/** Milliseconds of the balancer's clock (its `now` option; Date.now by default). */
export type Clock = () => number;

/** Builds a picker; the balancer makes one per service and per candidate set, and hands it its random source and clock. */
export type PickerFactory = (random: RandomSource, now: Clock) => Picker;

export type PickerName = 'round-robin' | 'random' | 'weighted' | 'p2c-in-flight' | 'p2c-latency';

/** Prefer instances of `zone`; when none is available there, fall back to the others. */
export interface ZoneAffinePickerChoice {
  readonly type: 'zone-affine';
  /** The caller's zone, compared with ServiceInstance.zone. */
  readonly zone: string;
  /** How to pick within a zone. Default `round-robin`. */
  readonly within?: PickerName;
}

/** A shipped picker by name, zone affinity, or your own factory. */
export type PickerChoice = PickerName | ZoneAffinePickerChoice | PickerFactory;
