import { Counter, Gauge, Histogram, Registry as PromRegistry, register as defaultRegister } from 'prom-client';
import type { Registry, RegistryErrorSource, RegistryEvent, WatchResyncKind } from '../core';
import { CountedPrefix, InstanceCounts, RegistryMetricsHandle, watchLagSeconds } from '../core/metrics';

export interface PrometheusMetricsOptions {
  /** The prom-client registry to register the metrics in. Default: prom-client's global `register`. */
  register?: PromRegistry | undefined;
  /** Prefixes whose instances are counted per service (`etcd_registry_instances`). Default none. */
  instances?: readonly CountedPrefix[] | undefined;
  /** Buckets of `etcd_registry_delivery_latency_seconds` (the first registration in a prom-client registry sets them). */
  buckets?: number[] | undefined;
}

/**
 * `stop()` stops counting this registry's events (its series stay, counters keep their values, until
 * the process ends); `close()` stops, and removes the metrics from the prom-client registry once no
 * other registry reports into it.
 */
export type { RegistryMetricsHandle };

/** 0.5 ms to 5 s: a delivery takes a millisecond or less, a slow handler seconds. */
export const DEFAULT_LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** The values a labelled counter starts at zero with, so `increase()` sees its first event. */
const ERROR_SOURCES: readonly RegistryErrorSource[] = ['handler', 'watch', 'lease', 'conflict'];
const RESYNC_KINDS: readonly WatchResyncKind[] = ['lost', 'periodic', 'new-cluster', 'drift'];

interface Source {
  registry: Registry;
  counts?: InstanceCounts;
}

/**
 * The metrics of one prom-client registry, shared by every registry reporting into it (two
 * applications in one process, a test harness's many): created once, their counters summed, their
 * gauges collected from every source. Removed only by the last handle's close().
 */
class SharedMetrics {
  readonly sources = new Set<Source>();
  /** Prefixes the latency histogram has a series for. */
  private readonly observedPrefixes = new Set<string>();
  readonly registrations: Counter;
  readonly unregistrations: Counter;
  readonly leaseLosses: Counter;
  readonly restorations: Counter;
  readonly resyncs: Counter;
  readonly errors: Counter;
  readonly ejections: Counter;
  readonly latency: Histogram;
  private readonly all: { name: string }[];

  constructor(
    private readonly register: PromRegistry,
    buckets: number[],
  ) {
    const registers = [register];
    const sources = this.sources;
    const observed = this.observedPrefixes;
    const prefixes = () => new Set([...sources].flatMap((s) => s.registry.status().watches.map((w) => w.prefix)));
    const counter = (name: string, help: string) => new Counter({ name, help, registers });
    this.registrations = counter('etcd_registry_registrations_total', 'Keys written by register() (restorations are counted apart).');
    this.unregistrations = counter('etcd_registry_unregistrations_total', 'Keys deleted by unregister().');
    this.leaseLosses = counter('etcd_registry_lease_losses_total', 'Leases lost while keys were registered under them.');
    this.restorations = counter(
      'etcd_registry_restorations_total',
      'Restore passes that put every registered key back under a new or kept lease.',
    );
    this.resyncs = new Counter({
      name: 'etcd_registry_watch_resyncs_total',
      help: 'Re-reads of a watched prefix that changed its map, by kind: lost (disconnect, compaction), periodic, new-cluster, drift (anti-entropy).',
      labelNames: ['prefix', 'kind'],
      registers,
      collect() {
        for (const prefix of prefixes()) for (const kind of RESYNC_KINDS) this.inc({ prefix, kind }, 0);
      },
    });
    this.errors = new Counter({
      name: 'etcd_registry_errors_total',
      help: 'Failures the registry works around, by source (handler, watch, lease, conflict).',
      labelNames: ['source'],
      registers,
    });
    for (const source of ERROR_SOURCES) this.errors.inc({ source }, 0);
    this.ejections = new Counter({
      name: 'etcd_registry_instance_ejections_total',
      help: 'Instances a client stopped picking after failures.',
      labelNames: ['service'],
      registers,
      collect() {
        for (const s of sources) for (const c of s.counts?.all() ?? []) this.inc({ service: c.service }, 0);
      },
    });
    this.latency = new Histogram({
      name: 'etcd_registry_delivery_latency_seconds',
      help: "Time from a change reaching a watch handler's queue to the handler's call having returned.",
      labelNames: ['prefix'],
      buckets,
      registers,
      collect() {
        // zero() would reset a prefix's observations: only a prefix with none yet is zeroed.
        for (const prefix of prefixes()) {
          if (observed.has(prefix)) continue;
          observed.add(prefix);
          this.zero({ prefix });
        }
      },
    });
    const lag = new Gauge({
      name: 'etcd_registry_watch_lag_seconds',
      help: 'Since when each watch is not live (0 while live): how far behind etcd its map may be.',
      labelNames: ['prefix'],
      registers,
      collect() {
        this.reset();
        for (const s of sources) for (const { prefix, seconds } of watchLagSeconds(s.registry.status())) this.set({ prefix }, seconds);
      },
    });
    const instances = new Gauge({
      name: 'etcd_registry_instances',
      help: 'Instances per service under each counted prefix, by status (up, draining).',
      labelNames: ['prefix', 'service', 'status'],
      registers,
      collect() {
        this.reset();
        for (const s of sources)
          for (const c of s.counts?.all() ?? []) {
            this.set({ prefix: c.prefix, service: c.service, status: 'up' }, c.up);
            this.set({ prefix: c.prefix, service: c.service, status: 'draining' }, c.draining);
          }
      },
    });
    this.all = [
      this.registrations,
      this.unregistrations,
      this.leaseLosses,
      this.restorations,
      this.resyncs,
      this.errors,
      this.ejections,
      this.latency,
      lag,
      instances,
    ] as unknown as { name: string }[];
  }

  onEvent = (e: RegistryEvent): void => {
    switch (e.type) {
      case 'registered':
        return this.registrations.inc();
      case 'unregistered':
        return this.unregistrations.inc();
      case 'lease-lost':
        return this.leaseLosses.inc();
      case 'lease-restored':
        return this.restorations.inc();
      case 'watch-resynced':
        return this.resyncs.inc({ prefix: e.prefix, kind: e.kind });
      case 'delivered':
        this.observedPrefixes.add(e.prefix);
        return this.latency.observe({ prefix: e.prefix }, e.latencyMs / 1000);
      case 'instance-ejected':
        return this.ejections.inc({ service: e.service });
      case 'error':
        return this.errors.inc({ source: e.source });
    }
  };

  remove(): void {
    for (const m of this.all) this.register.removeSingleMetric(m.name);
  }
}

const shared = new WeakMap<PromRegistry, SharedMetrics>();

/**
 * Exposes a registry (the core's, or RegistryService) as Prometheus metrics, following
 * Prometheus' naming: `etcd_registry_` namespace, `_total` for counters, `_seconds` for times.
 * Several registries may report into one prom-client registry (two applications in a process):
 * they share the metrics.
 */
export async function registerPrometheusMetrics(
  registry: Registry,
  options: PrometheusMetricsOptions = {},
): Promise<RegistryMetricsHandle> {
  const register = options.register ?? defaultRegister;
  const counts = options.instances?.length ? await InstanceCounts.start(registry, options.instances) : undefined;
  let metrics = shared.get(register);
  if (!metrics) {
    metrics = new SharedMetrics(register, options.buckets ?? DEFAULT_LATENCY_BUCKETS);
    shared.set(register, metrics);
  }
  const source: Source = { registry, counts };
  metrics.sources.add(source);
  const off = registry.events?.on(metrics.onEvent);
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      off?.();
      metrics.sources.delete(source);
      await counts?.close();
    })());
  return {
    stop,
    async close() {
      await stop();
      if (metrics.sources.size === 0 && shared.get(register) === metrics) {
        shared.delete(register);
        metrics.remove();
      }
    },
  };
}
