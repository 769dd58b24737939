import type { EventEmitter } from 'events';
import type { ServiceInstance } from '../instances/service-instance';
import { BalancedInstance } from './balanced-instance';
import type { BalancerEventMap } from './balancer-events';
import { recordFailure, ResolvedEjectionOptions } from './outlier-ejection';
import type { Picker, PickerFactory, RandomSource } from './picker.interface';

/** How a call ended, for passive health and the pickers' load figures. */
export interface CallOutcome {
  /** False when the instance could not be reached or dropped the call (a transport failure). */
  ok: boolean;
  /** Duration of a successful call, ms (feeds the latency EWMA). */
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

/** Weight of the newest sample in the latency EWMA. */
const EWMA_ALPHA = 0.3;

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
    this.healthy = factory(random);
    this.any = factory(random);
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
        this.byKey.set(instance.key, new BalancedInstance(instance, address));
        continue;
      }
      if (known.instance !== instance) {
        // A new value under the key: the instance registered again (a new lease, a new address...).
        if (known.address !== address) this.events.emit('left', { service: this.service, key: known.key, address: known.address });
        known.instance = instance;
        known.address = address;
        if (known.ejected) this.restore(known, 're-registered');
        known.consecutiveFailures = 0;
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
      if (exclude.has(c.key)) continue;
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
    if (outcome.ok) {
      c.consecutiveFailures = 0;
      if (outcome.latencyMs !== undefined && outcome.latencyMs >= 0) {
        c.latencyMs = c.latencyMs === 0 ? outcome.latencyMs : c.latencyMs + EWMA_ALPHA * (outcome.latencyMs - c.latencyMs);
      }
      return;
    }
    const now = this.now();
    const forMs = recordFailure(c, this.ejection, now);
    if (forMs === undefined) return;
    const timer = setTimeout(() => this.restore(c, 'timeout'), forMs);
    timer.unref();
    this.timers.set(c.key, timer);
    this.rebuild();
    this.events.emit('ejected', {
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
    }));
    return {
      service: this.service,
      instances,
      ejected: instances.length - this.healthyCount,
      draining: this.draining,
      withoutAddress: this.withoutAddress.length,
    };
  }

  /** Stops the ejection timers. */
  close(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private restore(c: BalancedInstance, reason: 'timeout' | 're-registered'): void {
    clearTimeout(this.timers.get(c.key));
    this.timers.delete(c.key);
    if (!c.ejected) return;
    c.ejectedUntil = undefined;
    c.consecutiveFailures = 0;
    c.restoredAt = this.now();
    if (reason === 'timeout') this.rebuild();
    this.events.emit('restored', { service: this.service, key: c.key, address: c.address, reason });
  }

  private forget(key: string): void {
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    const c = this.byKey.get(key)!;
    this.byKey.delete(key);
    this.events.emit('left', { service: this.service, key, address: c.address });
  }

  private rebuild(): void {
    const all = [...this.byKey.values()];
    const healthy = all.filter((c) => !c.ejected);
    this.healthyCount = healthy.length;
    this.healthy.reset(healthy);
    this.any.reset(all);
  }
}
