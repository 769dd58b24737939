import { Injectable, Module } from '@nestjs/common';
import { EventEmitterModule, OnEvent } from '@nestjs/event-emitter';
import { firstValueFrom, filter, take, tap, toArray } from 'rxjs';
import { EtcdRegistryModule, InstanceMap, RegistryEvent, RegistryService } from '../../lib';
import { EtcdRegistryEventEmitterModule } from '../../lib/event-emitter';
import { EtcdServer, useEtcd } from '../support/etcd-launcher';
import { withNestApps } from '../support/nest-app';
import { uniquePrefix } from '../support/registry-fixtures';
import { rawClient } from '../support/registry-probe';
import { waitFor } from '../support/wait-for';

jest.setTimeout(30_000);

@Injectable()
class LeaseListener {
  readonly got: RegistryEvent[] = [];
  @OnEvent('etcd-registry.registered')
  onRegistered(e: RegistryEvent) {
    this.got.push(e);
  }
  @OnEvent('etcd-registry.unregistered')
  onUnregistered(e: RegistryEvent) {
    this.got.push(e);
  }
}

/** The Nest face of the events: events$, instances$(prefix), and the @nestjs/event-emitter bridge. */
describe('registry events in a Nest application (real etcd)', () => {
  let etcd: EtcdServer;
  const apps = withNestApps();
  beforeAll(async () => {
    etcd = await useEtcd();
  });
  afterAll(() => etcd?.stop());

  it('events$ reports the registration made in listen() and the unregistration at close, then completes', async () => {
    const prefix = uniquePrefix('ev');
    @Module({
      imports: [
        EtcdRegistryModule.forRoot({
          endpoints: etcd.endpoints,
          autoRegister: false,
          service: { name: 'users', id: 'u1', address: '127.0.0.1:1', prefix },
        }),
      ],
    })
    class AppModule {}
    const app = await apps.start({ imports: [AppModule] });
    const registry = app.get(RegistryService);
    const all = firstValueFrom(
      registry.events$.pipe(
        filter((e) => e.type === 'registered' || e.type === 'unregistered'),
        toArray(),
      ),
    );
    await registry.registerService();
    await apps.close(app); // events$ completes at shutdown: toArray() resolves
    const events = await all;
    expect(events.map((e) => [e.type, 'path' in e ? e.path : undefined])).toEqual([
      ['registered', `${prefix}users/u1`],
      ['unregistered', `${prefix}users/u1`],
    ]);
  });

  it('instances$(prefix) emits the typed map, then one per change; unsubscribing removes the handler', async () => {
    const prefix = uniquePrefix('ev');
    @Module({ imports: [EtcdRegistryModule.forRoot({ endpoints: etcd.endpoints })] })
    class AppModule {}
    const app = await apps.start({ imports: [AppModule] });
    const registry = app.get(RegistryService);
    const client = rawClient(etcd.endpoints);
    try {
      await client.put(`${prefix}users/u1`).value('127.0.0.1:3001');
      const maps: InstanceMap[] = [];
      const sub = registry.instances$(prefix).subscribe((m) => maps.push(m));
      await waitFor(() => maps.length === 1, { message: 'the first map' });
      expect(maps[0].get('users')!.map((i) => i.address)).toEqual(['127.0.0.1:3001']);
      await client.put(`${prefix}users/u2`).value('127.0.0.1:3002');
      await waitFor(() => maps.length === 2, { message: 'the second map' });
      expect(maps[1].get('users')!.map((i) => i.id)).toEqual(['u1', 'u2']);
      await waitFor(() => registry.status().watches.find((w) => w.prefix === prefix)?.handlers === 1, { message: 'one handler' });
      sub.unsubscribe();
      await waitFor(() => !registry.status().watches.some((w) => w.prefix === prefix), { message: 'the watch removed' });
      // Completes at shutdown.
      const seen: InstanceMap[] = [];
      const last = firstValueFrom(
        registry.instances$(prefix).pipe(
          tap((m) => seen.push(m)),
          toArray(),
        ),
      );
      await waitFor(() => seen.length === 1, { message: 'the first map of the new subscription' });
      await apps.close(app);
      expect((await last).length).toBe(1);
    } finally {
      client.close();
    }
  });

  it('with EtcdRegistryEventEmitterModule, @OnEvent("etcd-registry.<type>") handlers receive them', async () => {
    const prefix = uniquePrefix('ev');
    @Module({
      imports: [
        EventEmitterModule.forRoot(),
        EtcdRegistryModule.forRoot({
          endpoints: etcd.endpoints,
          isGlobal: true,
          service: { name: 'users', id: 'u1', address: '127.0.0.1:1', prefix },
        }),
        EtcdRegistryEventEmitterModule.forRoot(),
      ],
      providers: [LeaseListener],
    })
    class AppModule {}
    const app = await apps.start({ imports: [AppModule] });
    const listener = app.get(LeaseListener);
    expect(listener.got).toEqual([expect.objectContaining({ type: 'registered', path: `${prefix}users/u1` })]);
    await apps.close(app);
    expect(listener.got.map((e) => e.type)).toEqual(['registered', 'unregistered']);
    expect(await firstValueFrom(app.get(RegistryService).events$.pipe(take(1)), { defaultValue: 'completed' })).toBe('completed');
  });

  it('EtcdRegistryEventEmitterModule.forRootAsync({ useFactory }) forwards the `types` it returns only', async () => {
    const prefix = uniquePrefix('ev');
    @Module({
      imports: [
        EventEmitterModule.forRoot(),
        EtcdRegistryModule.forRoot({
          endpoints: etcd.endpoints,
          isGlobal: true,
          service: { name: 'users', id: 'u1', address: '127.0.0.1:1', prefix },
        }),
        EtcdRegistryEventEmitterModule.forRootAsync({ useFactory: async () => ({ types: ['unregistered'] as const }) }),
      ],
      providers: [LeaseListener],
    })
    class AppModule {}
    const app = await apps.start({ imports: [AppModule] });
    const listener = app.get(LeaseListener);
    expect(listener.got).toEqual([]);
    await apps.close(app);
    expect(listener.got.map((e) => e.type)).toEqual(['unregistered']);
  });
});
