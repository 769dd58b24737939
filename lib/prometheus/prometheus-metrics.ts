import { Counter, Gauge, Histogram, Registry as PromRegistry, register as defaultRegister } from 'prom-client';
import type { Registry, RegistryEvent } from '../core';
import { CountedPrefix, InstanceCounts, watchLagSeconds } from '../core/metrics';

export interface PrometheusMetricsOptions {
  /** The prom-client registry to register the metrics in. Default: prom-client's global `register`. */
  register?: PromRegistry | undefined;
  /** Prefixes whose instances are counted per service (`etcd_registry_instances`). Default none. */
  instances?: readonly CountedPrefix[] | undefined;
  /** Buckets of `etcd_registry_delivery_latency_seconds`. */
  buckets?: number[] | undefined;
}

export interface RegistryMetricsHandle {
  /** Stops listening and removes the metrics from the prom-client registry. */
  close(): Promise<void>;
}

export const DEFAULT_LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * Exposes a registry (the core's, or RegistryService) as Prometheus metrics, following
 * Prometheus' naming: `etcd_registry_` namespace, `_total` for counters, `_seconds` for times.
 */
export async function registerPrometheusMetrics(
  registry: Registry,
  options: PrometheusMetricsOptions = {},
): Promise<RegistryMetricsHandle> {
  const registers = [options.register ?? defaultRegister];
  const counts = options.instances?.length ? await InstanceCounts.start(registry, options.instances) : undefined;
  const counter = (name: string, help: string, labelNames: string[] = []) => new Counter({ name, help, labelNames, registers });
  const registrations = counter('etcd_registry_registrations_total', 'Keys written by register() (restorations are counted apart).');
  const unregistrations = counter('etcd_registry_unregistrations_total', 'Keys deleted by unregister().');
  const leaseLosses = counter('etcd_registry_lease_losses_total', 'Leases lost while keys were registered under them.');
  const restorations = counter(
    'etcd_registry_restorations_total',
    'Restore passes that put every registered key back under a new or kept lease.',
  );
  const resyncs = counter(
    'etcd_registry_watch_resyncs_total',
    'Re-reads of a watched prefix that changed its map, by kind: lost (disconnect, compaction), periodic, new-cluster, drift (anti-entropy).',
    ['prefix', 'kind'],
  );
  const errors = counter('etcd_registry_errors_total', 'Failures the registry works around, by source (handler, watch, lease, conflict).', [
    'source',
  ]);
  const ejections = counter('etcd_registry_instance_ejections_total', 'Instances a client stopped picking after failures.', ['service']);
  const latency = new Histogram({
    name: 'etcd_registry_delivery_latency_seconds',
    help: "Time from a change reaching a watch handler's queue to the handler's call having returned.",
    labelNames: ['prefix'],
    buckets: options.buckets ?? DEFAULT_LATENCY_BUCKETS,
    registers,
  });
  const lag = new Gauge({
    name: 'etcd_registry_watch_lag_seconds',
    help: 'Since when each watch is not live (0 while live): how far behind etcd its map may be.',
    labelNames: ['prefix'],
    registers,
    collect() {
      this.reset();
      for (const { prefix, seconds } of watchLagSeconds(registry.status())) this.set({ prefix }, seconds);
    },
  });
  const instances = new Gauge({
    name: 'etcd_registry_instances',
    help: 'Instances per service under each counted prefix, by status (up, draining).',
    labelNames: ['prefix', 'service', 'status'],
    registers,
    collect() {
      this.reset();
      for (const c of counts?.all() ?? []) {
        this.set({ prefix: c.prefix, service: c.service, status: 'up' }, c.up);
        this.set({ prefix: c.prefix, service: c.service, status: 'draining' }, c.draining);
      }
    },
  });
  const onEvent = (e: RegistryEvent) => {
    switch (e.type) {
      case 'registered':
        return registrations.inc();
      case 'unregistered':
        return unregistrations.inc();
      case 'lease-lost':
        return leaseLosses.inc();
      case 'restored':
        return restorations.inc();
      case 'watch-resynced':
        return resyncs.inc({ prefix: e.prefix, kind: e.kind });
      case 'delivered':
        return latency.observe({ prefix: e.prefix }, e.latencyMs / 1000);
      case 'instance-ejected':
        return ejections.inc({ service: e.service });
      case 'error':
        return errors.inc({ source: e.source });
    }
  };
  const off = registry.events?.on(onEvent);
  const metrics = [registrations, unregistrations, leaseLosses, restorations, resyncs, errors, ejections, latency, lag, instances];
  return {
    async close() {
      off?.();
      await counts?.close();
      for (const m of metrics) for (const r of registers) r.removeSingleMetric((m as unknown as { name: string }).name);
    },
  };
}
