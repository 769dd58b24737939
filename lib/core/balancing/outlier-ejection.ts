import { RegistryOptionsError } from '../errors';
import type { BalancedInstance } from './balanced-instance';
import { balancingMessages } from './messages';

/** Passive health: consecutive failed calls eject an instance for a while that grows when it happens again. */
export interface EjectionOptions {
  /** Failures in a row (no success between) that eject an instance. Default 3; 0 turns ejection off. */
  consecutiveFailures?: number;
  /** First ejection's length, ms; each ejection in a row doubles it. Default 2000. */
  baseEjectionMs?: number;
  /** Longest ejection, ms; an instance healthy this long after its return starts again from the base. Default 30000. */
  maxEjectionMs?: number;
}

export type ResolvedEjectionOptions = Required<EjectionOptions>;

export const DEFAULT_EJECTION: ResolvedEjectionOptions = { consecutiveFailures: 3, baseEjectionMs: 2000, maxEjectionMs: 30_000 };

export function resolveEjectionOptions(options: EjectionOptions = {}): ResolvedEjectionOptions {
  const resolved = { ...DEFAULT_EJECTION, ...stripUndefined(options) };
  for (const [option, min] of [
    ['consecutiveFailures', 0],
    ['baseEjectionMs', 1],
    ['maxEjectionMs', 1],
  ] as const) {
    const value = resolved[option];
    if (!Number.isInteger(value) || value < min)
      throw new RegistryOptionsError(`ejection.${option}`, balancingMessages.ejectionOption(option, value));
  }
  return resolved;
}

const stripUndefined = (o: EjectionOptions) => Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined));

/**
 * Records a failed call; returns how long to eject the instance for (ms), or undefined when it
 * stays in. The length doubles with each ejection in a row, capped at maxEjectionMs; an instance
 * that stayed healthy maxEjectionMs since its last return starts from the base again.
 */
export function recordFailure(c: BalancedInstance, options: ResolvedEjectionOptions, now: number): number | undefined {
  c.consecutiveFailures++;
  if (options.consecutiveFailures === 0 || c.ejected || c.consecutiveFailures < options.consecutiveFailures) return undefined;
  if (c.restoredAt !== undefined && now - c.restoredAt >= options.maxEjectionMs) c.ejections = 0;
  const forMs = Math.min(options.maxEjectionMs, options.baseEjectionMs * 2 ** Math.min(c.ejections, 30));
  c.ejections++;
  c.ejectedUntil = now + forMs;
  return forMs;
}
