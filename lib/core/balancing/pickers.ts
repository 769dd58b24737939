import { RegistryOptionsError } from '../errors';
import { balancingMessages } from './messages';
import type { Clock, Picker, PickerChoice, PickerFactory, PickerName, RandomSource } from './picker.interface';
import { PowerOfTwoPicker } from './power-of-two.picker';
import { RandomPicker } from './random.picker';
import { RoundRobinPicker } from './round-robin.picker';
import { WeightedPicker } from './weighted.picker';
import { ZoneAffinePicker } from './zone-affine.picker';

const BY_NAME: Record<PickerName, PickerFactory> = {
  'round-robin': (random) => new RoundRobinPicker(random),
  random: (random) => new RandomPicker(random),
  weighted: (random) => new WeightedPicker(random),
  'p2c-in-flight': (random) => new PowerOfTwoPicker(random, 'in-flight'),
  'p2c-latency': (random, now) => new PowerOfTwoPicker(random, 'latency', now),
};

export const PICKER_NAMES = Object.keys(BY_NAME) as PickerName[];
export const DEFAULT_PICKER: PickerName = 'round-robin';

/** The factory of a picker choice; throws a RegistryOptionsError('picker') naming what is wrong. */
export function resolvePicker(choice: PickerChoice = DEFAULT_PICKER): PickerFactory {
  if (typeof choice === 'function') return choice;
  if (typeof choice === 'string' && Object.prototype.hasOwnProperty.call(BY_NAME, choice)) return BY_NAME[choice];
  if (choice && typeof choice === 'object' && choice.type === 'zone-affine') {
    if (typeof choice.zone !== 'string' || choice.zone.length === 0)
      throw new RegistryOptionsError('picker.zone', balancingMessages.zoneMissing());
    const within = resolvePicker(choice.within ?? DEFAULT_PICKER);
    if (choice.within !== undefined && typeof choice.within !== 'string')
      throw new RegistryOptionsError('picker', balancingMessages.unknownPicker(choice.within));
    return (random: RandomSource, now: Clock): Picker => new ZoneAffinePicker(choice.zone, within(random, now), within(random, now));
  }
  throw new RegistryOptionsError('picker', balancingMessages.unknownPicker(choice));
}
