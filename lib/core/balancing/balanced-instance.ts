import type { ServiceInstance } from '../instances/service-instance';

/**
 * One instance as a balancer sees it: the instance, the address the client's transport dials, and
 * what the balancer learned from the calls it made (in flight, latency, failures, ejection).
 * Kept across instance-map changes while its key stays, so what was learned is not forgotten.
 */
export class BalancedInstance {
  /** Calls started and not yet finished. */
  inFlight = 0;
  /**
   * Time-decayed moving average of the calls' latency, ms. A new instance starts from the median of
   * the service's measured instances (0 when none is measured yet); a failure can only raise it.
   */
  latencyMs = 0;
  /** Whether a call of this instance has fed latencyMs yet. */
  measured = false;
  /** When latencyMs last took a sample (ms of the balancer's clock): the older, the less it weighs. */
  sampledAt = 0;
  /** When a picker last chose it (ms of the balancer's clock); p2c-latency probes one left out too long. */
  pickedAt = 0;
  /** Failures of any kind since the last success (no answer, timeout, cancel, an answer counted as a failure). */
  consecutiveFailures = 0;
  /** Of those, the calls that got no answer at all (refused, reset, timed out, cancelled). */
  consecutiveNoAnswer = 0;
  /** Epoch ms until which the instance is ejected; undefined while it is not. */
  ejectedUntil?: number;
  /** Ejections in a row (the next ejection lasts longer); reset once it stays healthy long enough. */
  ejections = 0;
  /** When it was last restored (epoch ms), to forget old ejections. */
  restoredAt?: number;
  /** Announced as draining: never picked, kept (with its connection) until its calls in flight settle or its key leaves. */
  draining = false;

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
