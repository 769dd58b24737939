import { RegistryOptionsError } from '../errors';
import type { BalancedInstance } from './balanced-instance';
import { balancingMessages } from './messages';

/** Passive health: consecutive failed calls eject an instance for a while that grows when it happens again. */
export interface EjectionOptions {
  /**
   * Calls in a row that got no answer (refused, reset, timed out, cancelled) that eject an instance.
   * Default 3; 0 turns this rule off.
   */
  consecutiveFailures?: number | undefined;
  /**
   * Failed calls in a row of any kind, error answers included (HTTP 5xx, an RpcException counted as a
   * failure), that eject an instance, like Envoy's `consecutive_5xx`. Default 5 (Envoy's); 0 turns this rule off.
   */
  consecutiveErrors?: number | undefined;
  /** First ejection's length, ms; each ejection in a row doubles it. Default 2000. */
  baseEjectionMs?: number | undefined;
  /** Longest ejection, ms; an instance healthy this long after its return starts again from the base. Default 30000. */
  maxEjectionMs?: number | undefined;
}

export type ResolvedEjectionOptions = Required<EjectionOptions>;

export const DEFAULT_EJECTION: ResolvedEjectionOptions = {
  consecutiveFailures: 3,
  consecutiveErrors: 5,
  baseEjectionMs: 2000,
  maxEjectionMs: 30_000,
};

export function resolveEjectionOptions(options: EjectionOptions = {}): ResolvedEjectionOptions {
  const resolved = { ...DEFAULT_EJECTION, ...stripUndefined(options) };
  for (const [option, min] of [
    ['consecutiveFailures', 0],
    ['consecutiveErrors', 0],
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
 * Records a failed call (`answered`: the instance answered with an error; else no answer at all);
 * returns how long to eject the instance for (ms), or undefined when it stays in. The length doubles
 * with each ejection in a row, capped at maxEjectionMs; an instance that stayed healthy
 * maxEjectionMs since its last return starts from the base again.
 */
export function recordFailure(c: BalancedInstance, options: ResolvedEjectionOptions, now: number, answered = false): number | undefined {
  c.consecutiveFailures++;
  if (!answered) c.consecutiveNoAnswer++;
  if (c.ejected) return undefined;
  const noAnswer = options.consecutiveFailures > 0 && c.consecutiveNoAnswer >= options.consecutiveFailures;
  const errors = options.consecutiveErrors > 0 && c.consecutiveFailures >= options.consecutiveErrors;
  if (!noAnswer && !errors) return undefined;
  if (c.restoredAt !== undefined && now - c.restoredAt >= options.maxEjectionMs) c.ejections = 0;
  const forMs = Math.min(options.maxEjectionMs, options.baseEjectionMs * 2 ** Math.min(c.ejections, 30));
  c.ejections++;
  c.ejectedUntil = now + forMs;
  return forMs;
}
