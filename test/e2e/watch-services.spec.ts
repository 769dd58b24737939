import { INestApplication, Injectable, Logger, Module } from '@nestjs/common';
import { LazyModuleLoader } from '@nestjs/core';
import { createRegistry, EtcdRegistryModule, Registry, RegistryArgumentError, RegistryOptionsError, RegistryService } from '../../lib';
import { EtcdServer, startEtcd } from '../support/etcd-launcher';
import { withNestApps } from '../support/nest-app';
import { waitFor } from '../support/wait-for';
import { watcherFixtures } from '../support/watchers.fixture';

jest.setTimeout(30_000);

const ROOT = `/e2e-watch-${process.pid}/`;

describe('@WatchServices (real etcd)', () => {
  let etcd: EtcdServer;
  let writer: Registry;
  let n = 0;
  const spies: jest.SpyInstance[] = [];
  const apps = withNestApps();

  /** Fresh fixture classes under a prefix of their own. */
  const fixtures = () => watcherFixtures(`${ROOT}t${++n}/`);

  async function start(options: { providers?: unknown[]; controllers?: unknown[]; imports?: unknown[] }): Promise<INestApplication> {
    return apps.start({
      imports: (options.imports ?? [EtcdRegistryModule.forRoot({ endpoints: etcd.endpoints })]) as never[],
      providers: (options.providers ?? []) as never[],
      controllers: (options.controllers ?? []) as never[],
    });
  }

  beforeAll(async () => {
    etcd = await startEtcd();
    writer = createRegistry({ endpoints: etcd.endpoints });
  });

  afterEach(() => {
    for (const s of spies.splice(0)) s.mockRestore();
  });

  afterAll(async () => {
    await writer?.close();
    await etcd?.stop();
  });

  it('delivers the first map before app.init() resolves, then every change', async () => {
    const f = fixtures();
    await writer.register(`${f.a}one`, '10.0.0.1:1');
    await start({ providers: [f.PlainWatcher] });
    // Checked synchronously after init(): no waiting.
    expect(f.PlainWatcher.recorder.calls).toHaveLength(1);
    expect(f.PlainWatcher.recorder.latest(f.a)).toEqual({ [`${f.a}one`]: '10.0.0.1:1' });
    await writer.register(`${f.a}two`, '10.0.0.2:2');
    await waitFor(() => f.PlainWatcher.recorder.latest(f.a)?.[`${f.a}two`], { message: 'the change to be delivered' });
    await writer.unregister(`${f.a}one`);
    await waitFor(() => !(`${f.a}one` in (f.PlainWatcher.recorder.latest(f.a) ?? {})), { message: 'the removal to be delivered' });
    await writer.unregister(`${f.a}two`);
  });

  it('scans controllers too', async () => {
    const f = fixtures();
    await writer.register(`${f.b}c`, 'x');
    await start({ controllers: [f.WatchingController] });
    expect(f.WatchingController.recorder.latest(f.b)).toEqual({ [`${f.b}c`]: 'x' });
    await writer.unregister(`${f.b}c`);
  });

  it('stacked decorators: one method is subscribed to each prefix', async () => {
    const f = fixtures();
    await writer.register(`${f.a}k`, 'va');
    await writer.register(`${f.b}k`, 'vb');
    await start({ providers: [f.StackedWatcher] });
    const r = f.StackedWatcher.recorder;
    expect(r.count('any')).toBe(2);
    expect(r.latest(f.a)).toEqual({ [`${f.a}k`]: 'va' });
    expect(r.latest(f.b)).toEqual({ [`${f.b}k`]: 'vb' });
    await writer.unregister(`${f.a}k`);
    await writer.unregister(`${f.b}k`);
  });

  it('an alias (useExisting) is not subscribed twice', async () => {
    const f = fixtures();
    await start({ providers: f.aliasProviders });
    expect(f.AliasedWatcher.recorder.count()).toBe(1);
    await writer.register(`${f.a}z`, '1');
    await waitFor(() => f.AliasedWatcher.recorder.count() >= 2, { message: 'the change' });
    // Wait for the other (duplicate) delivery, if any, to have had ample time.
    await writer.register(`${f.a}marker`, '1');
    await waitFor(() => f.AliasedWatcher.recorder.latest(f.a)?.[`${f.a}marker`], { message: 'the marker' });
    expect(f.AliasedWatcher.recorder.calls.filter((c) => `${f.a}z` in c.map && !(`${f.a}marker` in c.map))).toHaveLength(1);
    await writer.unregister(`${f.a}z`);
    await writer.unregister(`${f.a}marker`);
  });

  it('forRoot() imported with different options in two modules: refused, naming both importers and the fix', async () => {
    @Module({ imports: [EtcdRegistryModule.forRoot({ endpoints: etcd.endpoints, ttlSeconds: 7 })] })
    class FeatureA {}
    @Module({ imports: [EtcdRegistryModule.forRoot({ endpoints: etcd.endpoints, ttlSeconds: 9 })] })
    class FeatureB {}
    const error = await start({ imports: [FeatureA, FeatureB] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RegistryOptionsError);
    expect((error as RegistryOptionsError).option).toBe('forRoot');
    expect((error as Error).message).toMatch(/\[FeatureA\] and \[FeatureB\]/);
    expect((error as Error).message).toContain('isGlobal: true');
  });

  it('forRoot() with the same options in two modules: refused too (Nest 11 makes two modules, two registrations)', async () => {
    const options = { endpoints: etcd.endpoints, service: { name: 'twice', address: 'h:1' } };
    @Module({ imports: [EtcdRegistryModule.forRoot(options)] })
    class FeatureA {}
    @Module({ imports: [EtcdRegistryModule.forRoot(options)] })
    class FeatureB {}
    const error = await start({ imports: [FeatureA, FeatureB] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as Error).message).toMatch(/imported 2 times.*\[FeatureA\] and \[FeatureB\]/);
  });

  it('forRoot() once with isGlobal, used by two feature modules: one registry, one subscription', async () => {
    const f = fixtures();
    @Injectable()
    class UsesRegistry {
      constructor(readonly registry: RegistryService) {}
    }
    @Module({ providers: [UsesRegistry, f.PlainWatcher] })
    class FeatureA {}
    @Module({ providers: [UsesRegistry] })
    class FeatureB {}
    await start({ imports: [EtcdRegistryModule.forRoot({ endpoints: etcd.endpoints, isGlobal: true }), FeatureA, FeatureB] });
    expect(f.PlainWatcher.recorder.count()).toBe(1);
  });

  it('skips a request-scoped provider with a warning naming Class#method', async () => {
    const f = fixtures();
    const warn = jest.spyOn(Logger.prototype, 'warn');
    spies.push(warn);
    await start({ providers: [f.RequestScopedWatcher, f.PlainWatcher] });
    const warnings = warn.mock.calls.map((c) => String(c[0]));
    expect(warnings.filter((w) => w.includes('RequestScopedWatcher#onA'))).toHaveLength(1);
    expect(f.RequestScopedWatcher.recorder.count()).toBe(0);
    expect(f.PlainWatcher.recorder.count()).toBe(1);
  });

  it('a throwing handler is logged with Class#method and its stack, and isolated', async () => {
    const f = fixtures();
    const error = jest.spyOn(Logger.prototype, 'error');
    spies.push(error);
    await start({ providers: [f.ThrowingWatcher, f.PlainWatcher] }); // init() resolves despite the throw
    expect(f.ThrowingWatcher.recorder.count()).toBe(1);
    expect(f.PlainWatcher.recorder.count()).toBe(1);
    const first = error.mock.calls.find((c) => String(c[0]).includes('ThrowingWatcher#onA'));
    expect(first).toBeDefined();
    expect(String(first![1])).toContain('boom from ThrowingWatcher');
    expect(String(first![1])).toMatch(/\n\s+at /); // a stack, not just the message
    await writer.register(`${f.a}e`, '1');
    await waitFor(() => f.PlainWatcher.recorder.latest(f.a)?.[`${f.a}e`], { message: 'the other handler to get the change' });
    await waitFor(() => f.ThrowingWatcher.recorder.count() >= 2, { message: 'the throwing handler to be called again' });
    await waitFor(() => error.mock.calls.some((c) => String(c[1]).includes('async boom')), { message: 'the async error to be logged' });
    await writer.unregister(`${f.a}e`);
  });

  it('skips a TRANSIENT provider with a warning naming Class#method, never calling the placeholder', async () => {
    const f = fixtures();
    const warn = jest.spyOn(Logger.prototype, 'warn');
    const error = jest.spyOn(Logger.prototype, 'error');
    spies.push(warn, error);
    await writer.register(`${f.a}t`, '1');
    await start({ providers: [f.TransientWatcher, f.TransientConsumer, f.PlainWatcher] });
    await writer.register(`${f.a}marker`, '1');
    await waitFor(() => f.PlainWatcher.recorder.latest(f.a)?.[`${f.a}marker`], { message: 'the marker' });
    const warnings = warn.mock.calls.map((c) => String(c[0])).filter((w) => w.includes('TransientWatcher#onA'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/transient.*singleton/);
    expect(f.TransientWatcher.errors).toEqual([]);
    expect(error.mock.calls.filter((c) => String(c[0]).includes('TransientWatcher'))).toEqual([]);
    await writer.unregister(`${f.a}t`);
    await writer.unregister(`${f.a}marker`);
  });

  it('a module loaded with LazyModuleLoader: its handlers get their first map before load() resolves, then changes', async () => {
    const f = fixtures();
    await writer.register(`${f.b}l`, '1');
    const app = await start({ providers: [] });
    await app.get(LazyModuleLoader).load(() => f.LazyWatcherModule);
    expect(f.LazyWatcher.recorder.latest(f.b)).toEqual({ [`${f.b}l`]: '1' });
    await writer.register(`${f.b}m`, '2');
    await waitFor(() => f.LazyWatcher.recorder.latest(f.b)?.[`${f.b}m`], { message: 'the change in the lazy module' });
    await writer.unregister(`${f.b}l`);
    await writer.unregister(`${f.b}m`);
  });

  it('the same useValue instance in a second application is subscribed again', async () => {
    const f = fixtures();
    const shared = new f.PlainWatcher();
    const provider = { provide: 'SHARED_WATCHER', useValue: shared };
    const first = await start({ providers: [provider] });
    expect(f.PlainWatcher.recorder.count()).toBe(1);
    await apps.close(first);
    await writer.register(`${f.a}second`, '2');
    await start({ providers: [provider] });
    expect(f.PlainWatcher.recorder.count()).toBe(2);
    expect(f.PlainWatcher.recorder.latest(f.a)).toEqual({ [`${f.a}second`]: '2' });
    await writer.unregister(`${f.a}second`);
  });

  it("the first map comes after the provider's own onModuleInit", async () => {
    const f = fixtures();
    await writer.register(`${f.a}i`, '1');
    await start({ providers: [f.InitStateWatcher] });
    expect(f.InitStateWatcher.throws).toBe(0);
    expect(f.InitStateWatcher.recorder.latest(f.a)).toEqual({ [`${f.a}i`]: '1' });
    await writer.unregister(`${f.a}i`);
  });

  it('a handler whose first call threw gets the current map again (backoff), without any change in etcd', async () => {
    const f = fixtures();
    const error = jest.spyOn(Logger.prototype, 'error');
    spies.push(error);
    await writer.register(`${f.a}r`, '1');
    await start({ providers: [f.FlakyFirstWatcher] });
    const initAt = Date.now();
    await waitFor(() => f.FlakyFirstWatcher.recorder.count() === 1, { timeoutMs: 5000, message: 'the retry' });
    console.log(`retry after a throwing first call: ${Date.now() - initAt} ms after init`);
    expect(f.FlakyFirstWatcher.recorder.latest(f.a)).toEqual({ [`${f.a}r`]: '1' });
    expect(error.mock.calls.some((c) => String(c[0]).includes('FlakyFirstWatcher#onA') && String(c[0]).includes('again in'))).toBe(true);
    await writer.unregister(`${f.a}r`);
  });

  it('a prefix without a trailing "/" fails startup with an error naming Class#method and the fix', async () => {
    const f = fixtures();
    const error = await start({ providers: [f.BadPrefixWatcher] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RegistryArgumentError);
    expect((error as Error).message).toContain('BadPrefixWatcher#onBad');
    expect((error as Error).message).toContain(`"${f.a.replace(/a\/$/, '')}no-slash/"`);
  });
});
