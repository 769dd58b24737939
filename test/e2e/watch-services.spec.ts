import { INestApplication, Logger, Module } from '@nestjs/common';
import { createRegistry, EtcdRegistryModule, Registry, RegistryArgumentError } from '../../lib';
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
    writer = await createRegistry({ endpoints: etcd.endpoints });
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

  it('importing the module twice (two registries) never subscribes a handler twice', async () => {
    const f = fixtures();
    @Module({ imports: [EtcdRegistryModule.forRoot({ endpoints: etcd.endpoints, ttlSeconds: 7 })] })
    class FeatureA {}
    @Module({ imports: [EtcdRegistryModule.forRoot({ endpoints: etcd.endpoints, ttlSeconds: 9 })] })
    class FeatureB {}
    await start({ imports: [FeatureA, FeatureB], providers: [f.PlainWatcher] });
    expect(f.PlainWatcher.recorder.count()).toBe(1);
    await writer.register(`${f.a}d`, '1');
    await writer.register(`${f.a}marker`, '1');
    await waitFor(() => f.PlainWatcher.recorder.latest(f.a)?.[`${f.a}marker`], { message: 'the marker' });
    expect(f.PlainWatcher.recorder.calls.filter((c) => `${f.a}d` in c.map && !(`${f.a}marker` in c.map))).toHaveLength(1);
    await writer.unregister(`${f.a}d`);
    await writer.unregister(`${f.a}marker`);
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
    await waitFor(() => f.ThrowingWatcher.recorder.count() === 2, { message: 'the throwing handler to be called again' });
    await waitFor(() => error.mock.calls.some((c) => String(c[1]).includes('async boom')), { message: 'the async error to be logged' });
    await writer.unregister(`${f.a}e`);
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
