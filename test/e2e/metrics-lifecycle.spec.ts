import { INestApplication, Module } from '@nestjs/common';
import { register as globalRegister } from 'prom-client';
import { EtcdRegistryModule, RegistryEvent, RegistryService } from '../../lib';
import { EtcdRegistryPrometheusModule } from '../../lib/prometheus';
import { EtcdServer, useEtcd } from '../support/etcd-launcher';
import { freePort } from '../support/free-port';
import { withNestApps } from '../support/nest-app';
import { uniquePrefix } from '../support/registry-fixtures';
import { sample } from '../support/prometheus-sample';
import { waitFor } from '../support/wait-for';

jest.setTimeout(60_000);

/**
 * Metrics: the Prometheus wing in real Nest applications (prom-client's global registry,
 * as an application uses it), through a graceful drain, with two applications in one process.
 */
describe('Prometheus metrics through drain and shutdown, two applications in one process (real etcd)', () => {
  let etcd: EtcdServer;
  const apps = withNestApps();

  beforeAll(async () => {
    etcd = await useEtcd();
  });
  afterAll(async () => {
    globalRegister.clear();
    await etcd?.stop();
  });

  async function startApp(prefix: string, id: string, drainMs: number): Promise<INestApplication> {
    const port = await freePort();
    @Module({
      imports: [
        EtcdRegistryModule.forRoot({
          endpoints: etcd.endpoints,
          ttlSeconds: 5,
          timeoutMs: 2000,
          drainMs,
          isGlobal: true,
          service: { name: 'users', id, address: `127.0.0.1:${port}`, prefix, codec: 'json' },
        }),
        EtcdRegistryPrometheusModule.forRoot({ instances: [{ prefix, codec: 'json' }] }),
      ],
    })
    class AppModule {}
    const app = await apps.create({ imports: [AppModule] });
    await app.listen(port, '127.0.0.1');
    return app;
  }

  it('two applications start in one process; every series stays through the drain and after close; the drain is no registration', async () => {
    const prefix = uniquePrefix('metrics-life');
    const a = await startApp(prefix, 'a1', 1500);
    const b = await startApp(prefix, 'a2', 0); // the second app in the process: no "already been registered"
    const scrape = () => globalRegister.metrics();
    await waitFor(async () => sample(await scrape(), 'etcd_registry_instances', { service: 'users', status: 'up' }) === 2, {
      message: 'both instances counted',
    });
    let text = await scrape();
    expect(sample(text, 'etcd_registry_registrations_total')).toBe(2); // the two apps' registrations, summed
    // Labelled counters exist at zero before their first event.
    for (const source of ['handler', 'watch', 'lease', 'conflict']) expect(sample(text, 'etcd_registry_errors_total', { source })).toBe(0);
    for (const kind of ['lost', 'periodic', 'new-cluster', 'drift'])
      expect(sample(text, 'etcd_registry_watch_resyncs_total', { prefix, kind })).toBe(0);
    expect(sample(text, 'etcd_registry_instance_ejections_total', { service: 'users' })).toBe(0);

    const events: RegistryEvent[] = [];
    const sub = a.get(RegistryService).events$.subscribe((e) => events.push(e));
    const closing = a.close();
    await waitFor(() => events.some((e) => e.type === 'draining'), { timeoutMs: 5000, message: 'the draining event' });
    // Mid-drain: every series is there, and the re-write counted no registration.
    await waitFor(async () => sample(await scrape(), 'etcd_registry_instances', { service: 'users', status: 'draining' }) === 1, {
      message: 'the draining instance counted',
    });
    text = await scrape();
    expect(sample(text, 'etcd_registry_registrations_total')).toBe(2);
    expect(sample(text, 'etcd_registry_errors_total', { source: 'handler' })).toBe(0);
    expect(text).toContain('etcd_registry_delivery_latency_seconds_bucket');
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['updated', 'draining']));
    expect(events.filter((e) => e.type === 'registered')).toEqual([]);
    expect(events.find((e) => e.type === 'draining')).toMatchObject({ path: `${prefix}users/a1`, mode: 'marked', drainMs: 1500 });
    await closing;
    sub.unsubscribe();
    // After the first app closed, the series stay (the process has not ended); the second app still counts.
    text = await scrape();
    expect(sample(text, 'etcd_registry_registrations_total')).toBe(2);
    expect(sample(text, 'etcd_registry_unregistrations_total')).toBe(1);
    await apps.close(b);
    text = await scrape();
    expect(sample(text, 'etcd_registry_unregistrations_total')).toBe(2);
    expect(text).toContain('etcd_registry_errors_total{source="lease"} 0');
  });
});
