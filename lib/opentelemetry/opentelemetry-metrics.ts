import { Meter, metrics } from '@opentelemetry/api';
import type { Registry, RegistryErrorSource, RegistryEvent, WatchResyncKind } from '../core';
import { CountedPrefix, InstanceCounts, RegistryMetricsHandle, watchLagSeconds } from '../core/metrics';

export interface OpenTelemetryMetricsOptions {
  /** The meter to create the instruments with. Default: `metrics.getMeter('nestjs-etcd-registry')` of the global MeterProvider. */
  meter?: Meter | undefined;
  /** Prefixes whose instances are counted per service (`etcd_registry.instances`). Default none. */
  instances?: readonly CountedPrefix[] | undefined;
}

/**
 * `stop()` stops listening (the instruments stay with their meter and report nothing new);
 * `close()` also removes the observable instruments' callbacks.
 */
export type { RegistryMetricsHandle };

/**
 * Bucket boundaries of `etcd_registry.delivery.duration` (seconds), given to the SDK through the
 * API's advice: a delivery takes a millisecond or less, a slow handler seconds (the SDK's own
 * defaults, 0 to 10,000, would put every observation in the first bucket).
 */
export const DELIVERY_DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

const ERROR_SOURCES: readonly RegistryErrorSource[] = ['handler', 'watch', 'lease', 'conflict'];
const RESYNC_KINDS: readonly WatchResyncKind[] = ['lost', 'periodic', 'new-cluster', 'drift'];

/** Attribute names (OTel: namespaced, snake_case words, dot-separated). */
export const OTEL_ATTRIBUTES = {
  prefix: 'etcd_registry.watch.prefix',
  service: 'etcd_registry.service.name',
  status: 'etcd_registry.instance.status',
  source: 'etcd_registry.error.source',
  resyncKind: 'etcd_registry.watch.resync.kind',
} as const;

/**
 * Reports a registry (the core's, or RegistryService) through an OpenTelemetry meter, following
 * OTel's conventions: dot-separated names in the `etcd_registry.` namespace, units in `unit`
 * (UCUM: `s`, `{key}`), no `_total` suffix, `.duration` for the delivery histogram.
 */
export async function registerOpenTelemetryMetrics(
  registry: Registry,
  options: OpenTelemetryMetricsOptions = {},
): Promise<RegistryMetricsHandle> {
  const meter = options.meter ?? metrics.getMeter('nestjs-etcd-registry');
  const counts = options.instances?.length ? await InstanceCounts.start(registry, options.instances) : undefined;
  const registrations = meter.createCounter('etcd_registry.registrations', {
    description: 'Keys written by register() (restorations are counted apart).',
    unit: '{key}',
  });
  const unregistrations = meter.createCounter('etcd_registry.unregistrations', {
    description: 'Keys deleted by unregister().',
    unit: '{key}',
  });
  const leaseLosses = meter.createCounter('etcd_registry.lease.losses', {
    description: 'Leases lost while keys were registered under them.',
    unit: '{lease}',
  });
  const restorations = meter.createCounter('etcd_registry.lease.restorations', {
    description: 'Restore passes that put every registered key back.',
    unit: '{restoration}',
  });
  const resyncs = meter.createCounter('etcd_registry.watch.resyncs', {
    description: 'Re-reads of a watched prefix that changed its map, by kind (lost, periodic, new-cluster, drift).',
    unit: '{resync}',
  });
  const errors = meter.createCounter('etcd_registry.errors', {
    description: 'Failures the registry works around, by source.',
    unit: '{error}',
  });
  const ejections = meter.createCounter('etcd_registry.instance.ejections', {
    description: 'Instances a client stopped picking after failures.',
    unit: '{instance}',
  });
  const delivery = meter.createHistogram('etcd_registry.delivery.duration', {
    description: "Time from a change reaching a watch handler's queue to the handler's call having returned.",
    unit: 's',
    advice: { explicitBucketBoundaries: DELIVERY_DURATION_BUCKETS },
  });
  // Counters with a known set of attribute values start at zero, so a rate sees their first event.
  for (const source of ERROR_SOURCES) errors.add(0, { [OTEL_ATTRIBUTES.source]: source });
  const lag = meter.createObservableGauge('etcd_registry.watch.lag', {
    description: 'Since when each watch is not live (0 while live).',
    unit: 's',
  });
  const instances = meter.createObservableGauge('etcd_registry.instances', {
    description: 'Instances per service under each counted prefix, by status.',
    unit: '{instance}',
  });
  const observeLag = (result: { observe(value: number, attributes: Record<string, string>): void }) => {
    for (const { prefix, seconds } of watchLagSeconds(registry.status())) {
      result.observe(seconds, { [OTEL_ATTRIBUTES.prefix]: prefix });
      // Each watched prefix's resync counters exist from its first collection, at zero.
      for (const kind of RESYNC_KINDS) resyncs.add(0, { [OTEL_ATTRIBUTES.prefix]: prefix, [OTEL_ATTRIBUTES.resyncKind]: kind });
    }
  };
  const observeInstances = (result: { observe(value: number, attributes: Record<string, string>): void }) => {
    for (const c of counts?.all() ?? []) {
      const base = { [OTEL_ATTRIBUTES.prefix]: c.prefix, [OTEL_ATTRIBUTES.service]: c.service };
      result.observe(c.up, { ...base, [OTEL_ATTRIBUTES.status]: 'up' });
      result.observe(c.draining, { ...base, [OTEL_ATTRIBUTES.status]: 'draining' });
    }
  };
  lag.addCallback(observeLag);
  instances.addCallback(observeInstances);
  const onEvent = (e: RegistryEvent) => {
    switch (e.type) {
      case 'registered':
        return registrations.add(1);
      case 'unregistered':
        return unregistrations.add(1);
      case 'lease-lost':
        return leaseLosses.add(1);
      case 'lease-restored':
        return restorations.add(1);
      case 'watch-resynced':
        return resyncs.add(1, { [OTEL_ATTRIBUTES.prefix]: e.prefix, [OTEL_ATTRIBUTES.resyncKind]: e.kind });
      case 'delivered':
        return delivery.record(e.latencyMs / 1000, { [OTEL_ATTRIBUTES.prefix]: e.prefix });
      case 'instance-ejected':
        return ejections.add(1, { [OTEL_ATTRIBUTES.service]: e.service });
      case 'error':
        return errors.add(1, { [OTEL_ATTRIBUTES.source]: e.source });
    }
  };
  const off = registry.events?.on(onEvent);
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      off?.();
      await counts?.close();
    })());
  return {
    stop,
    async close() {
      await stop();
      lag.removeCallback(observeLag);
      instances.removeCallback(observeInstances);
    },
  };
}
