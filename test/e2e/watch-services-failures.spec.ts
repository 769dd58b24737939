import { Injectable } from '@nestjs/common';
import { Registry as PromRegistry } from 'prom-client';
import { createRegistry, EtcdRegistryModule, Registry, RegistryEvent, RegistryService, WatchServices } from '../../lib';
import type { InstanceMap, ServiceMap } from '../../lib';
import { EtcdRegistryPrometheusModule } from '../../lib/prometheus';
import { EtcdServer, startEtcd } from '../support/etcd-launcher';
import { withNestApps } from '../support/nest-app';
import { sample } from '../support/prometheus-sample';
import { waitFor } from '../support/wait-for';

jest.setTimeout(30_000);

const ROOT = `/e2e-watch-failures-${process.pid}/`;

/**
 * A @WatchServices method that fails is the core's to report: each failed call is one `error`
 * event with source `handler` naming Class#method, counted by the metrics, never a `delivered`;
 * and the method is called again with the current map (backoff) until it returns.
 */
describe('@WatchServices failures: events, metrics and retries (real etcd)', () => {
  let etcd: EtcdServer;
  let writer: Registry;
  let n = 0;
  const apps = withNestApps();

  beforeAll(async () => {
    etcd = await startEtcd();
    writer = createRegistry({ endpoints: etcd.endpoints });
  });

  afterAll(async () => {
    await writer?.close();
    await etcd?.stop();
  });

  it('a method that throws 3 times: 3 error events naming Class#method, errors_total{source="handler"} 3, then one delivery by retry', async () => {
    const p = `${ROOT}t${++n}/`;
    await writer.register(`${p}a`, '10.0.0.1:1');
    @Injectable()
    class FailingWatcher {
      static readonly calls: ServiceMap[] = [];
      @WatchServices(p)
      onServices(services: ServiceMap) {
        FailingWatcher.calls.push(services);
        if (FailingWatcher.calls.length <= 3) throw new Error(`not ready (call ${FailingWatcher.calls.length})`);
      }
    }
    const promRegistry = new PromRegistry();
    const app = await apps.create({
      imports: [
        EtcdRegistryModule.forRoot({ endpoints: etcd.endpoints, isGlobal: true }),
        EtcdRegistryPrometheusModule.forRoot({ register: promRegistry }),
      ],
      providers: [FailingWatcher],
    });
    const events: RegistryEvent[] = [];
    const sub = app.get(RegistryService).events$.subscribe((e) => events.push(e));
    await app.init(); // resolves after the first call, which threw
    expect(FailingWatcher.calls).toHaveLength(1);

    // No change in etcd: the retries alone make calls 2, 3 (both throw) and 4 (returns).
    await waitFor(() => FailingWatcher.calls.length >= 4, { timeoutMs: 10_000, message: 'three retries' });
    await waitFor(() => events.some((e) => e.type === 'delivered' && e.prefix === p), { message: 'the delivery of the 4th call' });
    sub.unsubscribe();

    const errors = events.filter((e) => e.type === 'error');
    expect(errors).toHaveLength(3);
    errors.forEach((e, i) =>
      expect(e).toMatchObject({
        source: 'handler',
        subject: p,
        message: expect.stringMatching(new RegExp(`FailingWatcher#onServices.*not ready \\(call ${i + 1}\\).*again in \\d+ ms`)),
        error: expect.any(Error),
      }),
    );
    // The three failed calls were not deliveries; the fourth was.
    expect(events.filter((e) => e.type === 'delivered' && e.prefix === p)).toHaveLength(1);
    expect(FailingWatcher.calls.every((m) => m[`${p}a`] === '10.0.0.1:1')).toBe(true);
    expect(sample(await promRegistry.metrics(), 'etcd_registry_errors_total', { source: 'handler' })).toBe(3);

    // Back in step: a change is one more call, no error.
    await writer.register(`${p}b`, '10.0.0.2:2');
    await waitFor(() => FailingWatcher.calls[FailingWatcher.calls.length - 1][`${p}b`], { message: 'the change' });
    expect(sample(await promRegistry.metrics(), 'etcd_registry_errors_total', { source: 'handler' })).toBe(3);
    await writer.unregister(`${p}a`);
    await writer.unregister(`${p}b`);
  });

  it("as: 'instances': a failed call is an error event naming Class#method and is retried with the current instances", async () => {
    const p = `${ROOT}t${++n}/`;
    await writer.register(`${p}users/1`, '10.0.0.1:1');
    @Injectable()
    class FleetWatcher {
      static readonly calls: InstanceMap[] = [];
      @WatchServices(p, { as: 'instances' })
      onFleet(fleet: InstanceMap) {
        FleetWatcher.calls.push(fleet);
        if (FleetWatcher.calls.length === 1) throw new Error('fleet not ready');
      }
    }
    const app = await apps.create({ imports: [EtcdRegistryModule.forRoot({ endpoints: etcd.endpoints })], providers: [FleetWatcher] });
    const events: RegistryEvent[] = [];
    const sub = app.get(RegistryService).events$.subscribe((e) => events.push(e));
    await app.init();
    await waitFor(() => FleetWatcher.calls.length >= 2, { timeoutMs: 5000, message: 'the retry' });
    sub.unsubscribe();
    expect(FleetWatcher.calls[1].get('users')?.map((i) => i.address)).toEqual(['10.0.0.1:1']);
    expect(events.filter((e) => e.type === 'error')).toEqual([
      expect.objectContaining({ source: 'handler', subject: p, message: expect.stringMatching(/FleetWatcher#onFleet.*fleet not ready/) }),
    ]);
    await writer.unregister(`${p}users/1`);
  });
});
