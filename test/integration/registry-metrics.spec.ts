import { MeterProvider, MetricReader, DataPointType } from '@opentelemetry/sdk-metrics';
import { Registry as PromRegistry } from 'prom-client';
import { DELIVERY_DURATION_BUCKETS, registerOpenTelemetryMetrics } from '../../lib/opentelemetry';
import { registerPrometheusMetrics } from '../../lib/prometheus';
import { startFaultProxy } from '../support/fault-proxy';
import { uniquePrefix, withEtcd } from '../support/registry-fixtures';
import { sample } from '../support/prometheus-sample';
import { waitFor } from '../support/wait-for';

class TestReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

/** The metrics wings, scraped from a real registry. */
describe('metrics (real etcd)', () => {
  const t = withEtcd('shared');

  it('Prometheus: registrations, lease losses, restorations, watch lag, delivery latency and instances per service', async () => {
    const prefix = uniquePrefix('metrics');
    const registry = await t.pool.create(t.etcd.endpoints, { ttlSeconds: 5 });
    const prom = new PromRegistry();
    const handle = await registerPrometheusMetrics(registry, { register: prom, instances: [{ prefix, codec: 'json' }] });
    try {
      await registry.register(`${prefix}users/u1`, '127.0.0.1:3001');
      await registry.register(`${prefix}users/u2`, JSON.stringify({ v: 1, address: '127.0.0.1:3002', status: 'draining' }));
      await registry.register(`${prefix}orders/o1`, '127.0.0.1:4001');
      await t.client.leaseClient.leaseRevoke({ ID: registry.leaseId! });
      await waitFor(
        () => registry.status().lease && registry.status().registrations.every((r) => r.state === 'registered') && registry.leaseId,
        { message: 'restored' },
      );
      await waitFor(async () => sample(await prom.metrics(), 'etcd_registry_restorations_total') === 1, { message: 'restorations 1' });
      const text = await prom.metrics();
      expect(sample(text, 'etcd_registry_registrations_total')).toBe(3);
      expect(sample(text, 'etcd_registry_lease_losses_total')).toBe(1);
      expect(sample(text, 'etcd_registry_instances', { prefix, service: 'users', status: 'up' })).toBe(1);
      expect(sample(text, 'etcd_registry_instances', { prefix, service: 'users', status: 'draining' })).toBe(1);
      expect(sample(text, 'etcd_registry_instances', { prefix, service: 'orders', status: 'up' })).toBe(1);
      expect(sample(text, 'etcd_registry_watch_lag_seconds', { prefix })).toBe(0);
      // Deliveries of the instance watch: a count and a sum in seconds.
      expect(sample(text, 'etcd_registry_delivery_latency_seconds_count', { prefix })).toBeGreaterThanOrEqual(3);
      expect(sample(text, 'etcd_registry_delivery_latency_seconds_sum', { prefix })).toBeLessThan(5);
      expect(text).toMatch(/# TYPE etcd_registry_delivery_latency_seconds histogram/);
      expect(text).toMatch(/# TYPE etcd_registry_registrations_total counter/);
      // A service that left is no longer listed.
      await registry.unregister(`${prefix}orders/o1`);
      await waitFor(async () => sample(await prom.metrics(), 'etcd_registry_instances', { service: 'orders' }) === undefined, {
        message: 'orders gone',
      });
    } finally {
      await handle.close();
    }
    expect(await prom.getMetricsAsJSON()).toEqual([]);
  });

  it('Prometheus: watch lag grows while the watch is not live, and resyncs are counted', async () => {
    const prefix = uniquePrefix('metrics');
    const proxy = await startFaultProxy(t.etcd.endpoints);
    try {
      const registry = await t.pool.create(proxy.endpoints, { timeoutMs: 1500 });
      const prom = new PromRegistry();
      const handle = await registerPrometheusMetrics(registry, { register: prom });
      await registry.addWatch(prefix, () => undefined);
      proxy.cut();
      await waitFor(async () => (sample(await prom.metrics(), 'etcd_registry_watch_lag_seconds', { prefix }) ?? 0) > 0.2, {
        message: 'lag > 0.2 s',
      });
      await t.client.put(`${prefix}x`).value('1');
      proxy.heal();
      await waitFor(async () => sample(await prom.metrics(), 'etcd_registry_watch_resyncs_total', { prefix }) === 1, {
        timeoutMs: 10_000,
        message: 'one resync',
      });
      await waitFor(async () => sample(await prom.metrics(), 'etcd_registry_watch_lag_seconds', { prefix }) === 0, {
        message: 'lag back to 0',
      });
      await handle.close();
    } finally {
      await proxy.close();
    }
  });

  it('OpenTelemetry: the same through a meter, with OTel names and units', async () => {
    const prefix = uniquePrefix('metrics');
    const registry = await t.pool.create(t.etcd.endpoints);
    const reader = new TestReader();
    const provider = new MeterProvider({ readers: [reader] });
    const handle = await registerOpenTelemetryMetrics(registry, { meter: provider.getMeter('test'), instances: [{ prefix }] });
    try {
      await registry.register(`${prefix}users/u1`, '127.0.0.1:3001');
      await registry.register(`${prefix}users/u2`, '127.0.0.1:3002');
      await t.client.leaseClient.leaseRevoke({ ID: registry.leaseId! });
      const metricsOf = async () => {
        const { resourceMetrics } = await reader.collect();
        return new Map(resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).map((m) => [m.descriptor.name, m]));
      };
      const byName = await waitFor(
        async () => {
          const m = await metricsOf();
          return m.get('etcd_registry.lease.restorations')?.dataPoints[0]?.value === 1 ? m : undefined;
        },
        { message: 'a restoration' },
      );
      expect(byName.get('etcd_registry.registrations')!.dataPoints[0].value).toBe(2);
      expect(byName.get('etcd_registry.lease.losses')!.dataPoints[0].value).toBe(1);
      const delivery = byName.get('etcd_registry.delivery.duration')!;
      expect(delivery.descriptor.unit).toBe('s');
      expect(delivery.dataPointType).toBe(DataPointType.HISTOGRAM);
      // Explicit boundaries from milliseconds to seconds (advice), not the SDK's 0-10,000 defaults.
      const point = delivery.dataPoints[0] as { value: { buckets: { boundaries: number[]; counts: number[] }; max?: number } };
      expect(point.value.buckets.boundaries).toEqual(DELIVERY_DURATION_BUCKETS);
      expect(point.value.buckets.boundaries[0]).toBeLessThan(0.001);
      // Error counters exist at zero for every source before any error.
      const errorsBySource = Object.fromEntries(
        byName.get('etcd_registry.errors')!.dataPoints.map((p) => [p.attributes['etcd_registry.error.source'], p.value]),
      );
      expect(errorsBySource).toEqual({ handler: 0, watch: 0, lease: 0, conflict: 0 });
      const inst = byName.get('etcd_registry.instances')!;
      const up = inst.dataPoints.find(
        (p) => p.attributes['etcd_registry.service.name'] === 'users' && p.attributes['etcd_registry.instance.status'] === 'up',
      );
      expect(up?.value).toBe(2);
      const lag = byName.get('etcd_registry.watch.lag')!;
      expect(lag.descriptor.unit).toBe('s');
      expect(lag.dataPoints.find((p) => p.attributes['etcd_registry.watch.prefix'] === prefix)?.value).toBe(0);
    } finally {
      await handle.close();
      await provider.shutdown();
    }
  });
});
