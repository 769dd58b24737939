import type { EventEmitter } from 'events';
import type { ServiceInstance } from '../instances/service-instance';
import { BalancedInstance } from './balanced-instance';
import type { BalancerEventMap } from './balancer-events';
import { recordFailure, ResolvedEjectionOptions } from './outlier-ejection';
import type { Picker, PickerFactory, RandomSource } from './picker.interface';

/** How a call ended, for passive health and the pickers' load figures. */
export interface CallOutcome {
  /**
   * False when the call failed: no answer (refused, reset, timed out, cancelled), or an answer that
   * counts as a failure (`answered: true`, e.g. HTTP 503).
   */
  ok: boolean;
  /** With `ok: false`: the instance answered, with an error (counts for `ejection.consecutiveErrors` only). */
  answered?: boolean;
  /**
   * How long the call took, ms. A success's feeds the latency average; a failure's only when it is
   * above the average (a timeout says the instance is slow; a fast error answer says nothing of its speed).
   */
  latencyMs?: number;
}

export interface ServiceInstanceStatus {
  key: string;
  address: string;
  inFlight: number;
  latencyMs: number;
  consecutiveFailures: number;
  /** Epoch ms; set while ejected. */
  ejectedUntil?: number;
  /** Set while it drains with calls still in flight (it is never picked; its connection stays until they settle). */
  draining?: true;
}

export interface ServiceBalancerStatus {
  service: string;
  /** Instances that are up and have an address for the transport, ejected ones included. */
  instances: ServiceInstanceStatus[];
  /** How many of them are ejected now. */
  ejected: number;
  /** Instances announced as draining (never picked). */
  draining: number;
  /** Instances up but without an address for the transport. */
  withoutAddress: number;
}

/**
 * Time constant of the latency average, ms (go-zero's p2c uses 10 s): a sample taken `dt` ms after
 * the previous one weighs `1 - exp(-dt / LATENCY_DECAY_MS)`, so the average covers about the last
 * 10 s whatever the call rate, and an instance not called for a while is judged by its next call.
 */
export const LATENCY_DECAY_MS = 10_000;

/**
 * The instances of one service as one client sees them: the candidates (up, with an address for
 * the transport), two pickers (over the candidates not ejected, and over all of them for when
 * every one is ejected: an instance that may answer beats an error), and passive health.
 */
export class ServiceBalancer {
  private readonly byKey = new Map<string, BalancedInstance>();
  private readonly healthy: Picker;
  private readonly any: Picker;
  private healthyCount = 0;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** What the last update held, for the errors of an empty pick. */
  draining = 0;
  withoutAddress: string[] = [];
  /** Total instances of the service in the last map (any status). */
  total = 0;

  constructor(
    readonly service: string,
    factory: PickerFactory,
    random: RandomSource,
    private readonly ejection: ResolvedEjectionOptions,
    private readonly events: EventEmitter<BalancerEventMap>,
    private readonly now: () => number,
  ) {
    this.healthy = factory(random, now);
    this.any = factory(random, now);
  }

  /** The service's instances from the latest map; keeps what was learned about the keys that stay. */
  update(instances: readonly ServiceInstance[], addressOf: (i: ServiceInstance) => string | undefined): void {
    const seen = new Set<string>();
    this.draining = 0;
    this.withoutAddress = [];
    this.total = instances.length;
    for (const instance of instances) {
      if (instance.status !== 'up') {
        this.draining++;
        // Never picked again; kept (and its connection with it) while calls to it are in flight.
        const known = this.byKey.get(instance.key);
        if (known && known.inFlight > 0) {
          known.draining = true;
          known.instance = instance;
          seen.add(instance.key);
        }
        continue;
      }
      const address = addressOf(instance);
      if (address === undefined) {
        this.withoutAddress.push(instance.id);
        continue;
      }
      seen.add(instance.key);
      const known = this.byKey.get(instance.key);
      if (!known) {
        this.byKey.set(instance.key, this.fresh(instance, address));
        continue;
      }
      known.draining = false;
      if (known.instance !== instance) {
        // A new value under the key: the instance registered again (a new lease, a new address...).
        if (known.address !== address)
          this.events.emit('instance-left', {
            type: 'instance-left',
            at: this.now(),
            service: this.service,
            key: known.key,
            address: known.address,
          });
        known.instance = instance;
        known.address = address;
        if (known.ejected) this.restore(known, 're-registered');
        known.consecutiveFailures = 0;
        known.consecutiveNoAnswer = 0;
        known.ejections = 0;
      }
    }
    for (const key of [...this.byKey.keys()]) if (!seen.has(key)) this.forget(key);
    this.rebuild();
  }

  /** A candidate, O(1); skips keys in `exclude` (the instances a retry already tried) when others remain. */
  pick(exclude?: ReadonlySet<string>): BalancedInstance | undefined {
    const picker = this.healthyCount > 0 ? this.healthy : this.any;
    const first = picker.pick();
    if (!first || !exclude || exclude.size === 0 || !exclude.has(first.key)) return first;
    for (let i = 0; i < 2; i++) {
      const again = picker.pick();
      if (again && !exclude.has(again.key)) return again;
    }
    // Few left untried: look through them (O(n), only on a retry).
    let fallback: BalancedInstance | undefined;
    for (const c of this.byKey.values()) {
      if (exclude.has(c.key) || c.draining) continue;
      if (!c.ejected) return c;
      fallback ??= c;
    }
    return fallback ?? first;
  }

  /** Whether the service has a candidate at all (ejected ones count). */
  get size(): number {
    return this.byKey.size;
  }

  started(c: BalancedInstance): void {
    c.inFlight++;
  }

  finished(c: BalancedInstance, outcome: CallOutcome): void {
    if (c.inFlight > 0) c.inFlight--;
    if (this.byKey.get(c.key) !== c) return; // it left meanwhile
    if (outcome.latencyMs !== undefined) this.learnLatency(c, outcome.latencyMs, !outcome.ok);
    if (c.draining && c.inFlight === 0) {
      // Its last call settled: now it leaves (and its connection closes).
      this.forget(c.key);
      return;
    }
    if (outcome.ok) {
      c.consecutiveFailures = 0;
      c.consecutiveNoAnswer = 0;
      return;
    }
    const now = this.now();
    const forMs = recordFailure(c, this.ejection, now, outcome.answered === true);
    if (forMs === undefined) return;
    const timer = setTimeout(() => this.restore(c, 'timeout'), forMs);
    timer.unref();
    this.timers.set(c.key, timer);
    this.rebuild();
    this.events.emit('instance-ejected', {
      type: 'instance-ejected',
      at: now,
      service: this.service,
      key: c.key,
      address: c.address,
      failures: c.consecutiveFailures,
      forMs,
      until: c.ejectedUntil!,
    });
  }

  status(): ServiceBalancerStatus {
    const instances = [...this.byKey.values()].map((c) => ({
      key: c.key,
      address: c.address,
      inFlight: c.inFlight,
      latencyMs: c.latencyMs,
      consecutiveFailures: c.consecutiveFailures,
      ...(c.ejectedUntil !== undefined ? { ejectedUntil: c.ejectedUntil } : {}),
      ...(c.draining ? { draining: true as const } : {}),
    }));
    return {
      service: this.service,
      instances,
      ejected: [...this.byKey.values()].filter((c) => c.ejected && !c.draining).length,
      draining: this.draining,
      withoutAddress: this.withoutAddress.length,
    };
  }

  /** Stops the ejection timers. */
  close(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  /**
   * The latency model: a time-decayed average (see LATENCY_DECAY_MS). The first success sets it; a
   * failure only ever raises it (a timeout or a cancel after a long wait is news of slowness, a fast
   * error answer is not news of speed). Until its first success an instance counts at least the
   * median of the measured ones, so it never wins pairs for free.
   */
  private learnLatency(c: BalancedInstance, ms: number, failed: boolean): void {
    if (!(ms >= 0)) return;
    if (failed) {
      if (ms > c.latencyMs) c.latencyMs = c.measured ? this.decayed(c, ms, this.now()) : ms;
      return;
    }
    const first = !c.measured;
    const now = this.now();
    c.latencyMs = first ? ms : this.decayed(c, ms, now);
    c.measured = true;
    c.sampledAt = now;
    if (first) {
      const median = this.measuredMedian();
      for (const o of this.byKey.values()) if (!o.measured && o.latencyMs < median) o.latencyMs = median;
    }
  }

  private decayed(c: BalancedInstance, ms: number, now: number): number {
    const w = Math.exp(-Math.max(0, now - c.sampledAt) / LATENCY_DECAY_MS);
    return c.latencyMs * w + ms * (1 - w);
  }

  /** Median latency of the measured instances; 0 when none is measured. O(n log n), only when an instance comes or answers for the first time. */
  private measuredMedian(): number {
    const measured = [...this.byKey.values()]
      .filter((o) => o.measured)
      .map((o) => o.latencyMs)
      .sort((a, b) => a - b);
    if (measured.length === 0) return 0;
    const mid = measured.length >> 1;
    return measured.length % 2 ? measured[mid] : (measured[mid - 1] + measured[mid]) / 2;
  }

  /** A new candidate, starting from the median latency of the measured ones (0 when none is): not a free win for p2c-latency. */
  private fresh(instance: ServiceInstance, address: string): BalancedInstance {
    const c = new BalancedInstance(instance, address);
    c.latencyMs = this.measuredMedian();
    return c;
  }

  private restore(c: BalancedInstance, reason: 'timeout' | 're-registered'): void {
    clearTimeout(this.timers.get(c.key));
    this.timers.delete(c.key);
    if (!c.ejected) return;
    c.ejectedUntil = undefined;
    c.consecutiveFailures = 0;
    c.consecutiveNoAnswer = 0;
    c.restoredAt = this.now();
    if (reason === 'timeout') this.rebuild();
    this.events.emit('instance-restored', {
      type: 'instance-restored',
      at: this.now(),
      service: this.service,
      key: c.key,
      address: c.address,
      reason,
    });
  }

  private forget(key: string): void {
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    const c = this.byKey.get(key)!;
    this.byKey.delete(key);
    this.events.emit('instance-left', { type: 'instance-left', at: this.now(), service: this.service, key, address: c.address });
  }

  private rebuild(): void {
    const all = [...this.byKey.values()].filter((c) => !c.draining);
    const healthy = all.filter((c) => !c.ejected);
    this.healthyCount = healthy.length;
    this.healthy.reset(healthy);
    this.any.reset(all);
  }
}
