import type { ServiceInstance } from '../instances/service-instance';

/**
 * One instance as a balancer sees it: the instance, the address the client's transport dials, and
 * what the balancer learned from the calls it made (in flight, latency, failures, ejection).
 * Kept across instance-map changes while its key stays, so what was learned is not forgotten.
 */
export class BalancedInstance {
  /** Calls started and not yet finished. */
  inFlight = 0;
  /** Exponentially weighted moving average of successful calls' latency, ms; 0 until the first one. */
  latencyMs = 0;
  /** Failures since the last success. */
  consecutiveFailures = 0;
  /** Epoch ms until which the instance is ejected; undefined while it is not. */
  ejectedUntil?: number;
  /** Ejections in a row (the next ejection lasts longer); reset once it stays healthy long enough. */
  ejections = 0;
  /** When it was last restored (epoch ms), to forget old ejections. */
  restoredAt?: number;

  constructor(
    public instance: ServiceInstance,
    public address: string,
  ) {}

  get key(): string {
    return this.instance.key;
  }

  get ejected(): boolean {
    return this.ejectedUntil !== undefined;
  }
}
