import { Etcd3 } from 'etcd3';
import {
  createRegistry,
  Registry,
  RegistryArgumentError,
  RegistryClosedError,
  RegistryOptionsError,
  ServiceConflictError,
} from '../../lib/core';
import { WatchServices } from '../../lib/watch-services/watch-services.decorator';
import { startEtcd } from '../support/etcd-launcher';
import { expectConverged, freshRead, rawClient } from '../support/registry-probe';
import { recordWatch, WatchRecorder } from '../support/watch-recorder';
import { waitFor } from '../support/wait-for';

jest.setTimeout(60_000);

/**
 * Bad input across the public surface (the table in docs/bad-input.md): a clear error or the
 * documented handling, never a crash, never a lost registration. After each case, the
 * registration made at the start is still in etcd and the watcher is still exact.
 */
describe('bad input', () => {
  let etcd: Awaited<ReturnType<typeof startEtcd>>;
  let checker: Etcd3;
  let reg: Registry;
  let rec: WatchRecorder;
  const P = '/bi/';
  const anchor = `${P}anchor`;
  const any = (v: unknown) => v as never;

  beforeAll(async () => {
    etcd = await startEtcd();
    checker = rawClient(etcd.endpoints);
    reg = createRegistry({ endpoints: etcd.endpoints, ttlSeconds: 3, timeoutMs: 4000 });
    await reg.register(anchor, 'A');
    rec = await recordWatch(reg, P);
  });

  afterEach(async () => {
    // Nothing lost: the first registration is still there, and the watcher equals etcd.
    expect(await checker.get(anchor).string()).toBe('A');
    await expectConverged(rec, checker, P);
  });

  afterAll(async () => {
    await reg?.close();
    checker?.close();
    await etcd?.stop();
  });

  async function argumentError(p: Promise<unknown>, argument: string, pattern?: RegExp): Promise<void> {
    const e = await p.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(RegistryArgumentError);
    expect((e as RegistryArgumentError).argument).toBe(argument);
    if (pattern) expect((e as Error).message).toMatch(pattern);
  }

  describe('options (createRegistry)', () => {
    const cases: [name: string, options: unknown, option: string][] = [
      ['not an object', null, 'options'],
      ['endpoints missing', {}, 'endpoints'],
      ['endpoints empty', { endpoints: [] }, 'endpoints'],
      ['endpoints a string', { endpoints: '127.0.0.1:2379' }, 'endpoints'],
      ['endpoint without port', { endpoints: ['127.0.0.1'] }, 'endpoints'],
      ['endpoint empty string', { endpoints: [''] }, 'endpoints'],
      ['endpoint port out of range', { endpoints: ['127.0.0.1:70000'] }, 'endpoints'],
      ['endpoints mixing schemes', { endpoints: ['http://a:1', 'https://b:2'] }, 'endpoints'],
      ['ttlSeconds 0', { endpoints: ['127.0.0.1:1'], ttlSeconds: 0 }, 'ttlSeconds'],
      ['ttlSeconds negative', { endpoints: ['127.0.0.1:1'], ttlSeconds: -5 }, 'ttlSeconds'],
      ['ttlSeconds fractional', { endpoints: ['127.0.0.1:1'], ttlSeconds: 1.5 }, 'ttlSeconds'],
      ['ttlSeconds a string', { endpoints: ['127.0.0.1:1'], ttlSeconds: '5' }, 'ttlSeconds'],
      ['timeoutMs NaN', { endpoints: ['127.0.0.1:1'], timeoutMs: NaN }, 'timeoutMs'],
      ['timeoutMs Infinity', { endpoints: ['127.0.0.1:1'], timeoutMs: Infinity }, 'timeoutMs'],
      ['username empty', { endpoints: ['127.0.0.1:1'], username: '', password: 'x' }, 'username'],
      ['password without username', { endpoints: ['127.0.0.1:1'], password: 'x' }, 'password'],
      ['username without password', { endpoints: ['127.0.0.1:1'], username: 'x' }, 'username'],
      ['namespace empty', { endpoints: ['127.0.0.1:1'], namespace: '' }, 'namespace'],
      ['namespace a number', { endpoints: ['127.0.0.1:1'], namespace: 7 }, 'namespace'],
      ['tls not an object', { endpoints: ['127.0.0.1:1'], tls: 'ca.pem' }, 'tls'],
      ['tls.ca a number', { endpoints: ['127.0.0.1:1'], tls: { ca: 1 } }, 'tls.ca'],
      ['tls.cert without key', { endpoints: ['127.0.0.1:1'], tls: { cert: 'PEM' } }, 'tls.cert'],
      ['logger without methods', { endpoints: ['127.0.0.1:1'], logger: {} }, 'logger'],
      ['resyncIntervalMs 0', { endpoints: ['127.0.0.1:1'], resyncIntervalMs: 0 }, 'resyncIntervalMs'],
    ];
    it.each(cases)('%s: RegistryOptionsError naming the option', async (_name, options, option) => {
      let e: unknown;
      try {
        createRegistry(any(options));
      } catch (err) {
        e = err;
      }
      expect(e).toBeInstanceOf(RegistryOptionsError);
      expect((e as RegistryOptionsError).option).toBe(option);
      if (option !== 'options') expect((e as Error).message).toContain(`"${option.split('.')[0]}`);
    });
  });

  describe('method arguments', () => {
    it.each([
      ['a number', 42],
      ['undefined', undefined],
      ['null', null],
      ['an empty string', ''],
      ['an object', { path: '/x' }],
    ])('register with a path that is %s: RegistryArgumentError("path")', async (_n, path) => {
      await argumentError(reg.register(any(path), 'v'), 'path', /"path" must be a non-empty string/);
    });

    it.each([
      ['a number', 42],
      ['undefined', undefined],
      ['an object', { host: 'x' }],
      ['a Buffer', Buffer.from('x')],
    ])('register with a value that is %s: RegistryArgumentError("value")', async (_n, value) => {
      await argumentError(reg.register(`${P}v`, any(value)), 'value', /JSON\.stringify/);
      expect(await checker.get(`${P}v`).string()).toBeNull();
    });

    it('register with an empty value: stored as an empty string (documented)', async () => {
      await reg.register(`${P}empty`, '');
      await waitFor(() => rec.last && `${P}empty` in rec.last, { message: 'the empty value in the map' });
      expect(rec.last?.[`${P}empty`]).toBe('');
      await reg.unregister(`${P}empty`);
    });

    it("a value over etcd's 1.5 MiB request limit: RegistryArgumentError before any request, registry unharmed", async () => {
      const big = 'x'.repeat(1.5 * 1024 * 1024 + 10);
      const t0 = Date.now();
      await argumentError(reg.register(`${P}big`, big), 'value', /over etcd's request limit/);
      expect(Date.now() - t0).toBeLessThan(500);
      // Just under the limit still works (etcd accepts it) ... and is removed again.
      const nearly = 'y'.repeat(1024 * 1024);
      await reg.register(`${P}nearly`, nearly);
      expect((await checker.get(`${P}nearly`).string())?.length).toBe(nearly.length);
      await reg.unregister(`${P}nearly`);
    });

    it.each([
      ['a number', 5],
      ['an empty string', ''],
      ['without a trailing slash', '/bi'],
    ])('addWatch with a prefix that is %s: RegistryArgumentError("prefix")', async (_n, prefix) => {
      await argumentError(
        reg.addWatch(any(prefix), () => undefined),
        'prefix',
      );
    });

    // A lone surrogate has no UTF-8 form: etcd would get U+FFFD instead, so the key written would
    // not be the key registered (the sweep deleted it as foreign, the guard put it back: forever).
    it.each([
      ['register, a lone high surrogate in the path', () => reg.register(`${P}lone\uD800x`, 'v'), 'path', /\\uD800\) at index 8/],
      ['register, a lone low surrogate at the end of the path', () => reg.register(`${P}lone\uDC00`, 'v'), 'path', /\\uDC00\) at index 8/],
      ['register, a reversed pair in the path', () => reg.register(`${P}lone\uDC00\uD800`, 'v'), 'path', /index 8/],
      ['register, a lone surrogate in the value', () => reg.register(`${P}lone-value`, 'ok\uD83D'), 'value', /index 2/],
      ['unregister', () => reg.unregister(`${P}lone\uD800x`), 'path', /lone UTF-16 surrogate/],
      ['addWatch', () => reg.addWatch(`${P}lone\uD800/`, () => undefined), 'prefix', /lone UTF-16 surrogate/],
      ['getServices', () => reg.getServices(`${P}\uDFFF/`), 'prefix', /lone UTF-16 surrogate/],
    ])('%s: RegistryArgumentError naming the argument and the position', async (_n, call, argument, pattern) => {
      await argumentError(call(), argument, pattern);
    });

    it('a rejected lone-surrogate path writes nothing: no key flaps in and out of etcd', async () => {
      const since = Date.now();
      await argumentError(reg.register(`${P}flap\uD800`, 'v'), 'path');
      await argumentError(reg.register(`${P}flap-value`, '\uDBFF'), 'value');
      // A registration made after them has reached the watcher, so anything they sent would have too.
      await reg.register(`${P}after-lone`, 'A');
      await waitFor(() => rec.last?.[`${P}after-lone`] === 'A', { message: 'the later registration in the map' });
      const seen = rec.calls.filter((m) => m.at >= since).flatMap((m) => Object.keys(m.map));
      expect(seen.filter((k) => k.includes('\uFFFD') || k.startsWith(`${P}flap`))).toEqual([]);
      expect(Object.keys(await freshRead(checker, P)).filter((k) => k.startsWith(`${P}flap`))).toEqual([]);
      await reg.unregister(`${P}after-lone`);
    });

    it('well-formed pairs (emoji, CJK extension B) are fine', async () => {
      const key = `${P}pair/😀/𠀀`;
      await reg.register(key, '🚀');
      expect(await checker.get(key).string()).toBe('🚀');
      await reg.unregister(key);
    });

    it('addWatch with a handler that is not a function: RegistryArgumentError("fn")', async () => {
      await argumentError(reg.addWatch(`${P}x/`, any('handler')), 'fn', /must be a function/);
    });

    it('getServices and removeWatch check their prefix the same way', async () => {
      await argumentError(reg.getServices(any(undefined)), 'prefix');
      await argumentError(reg.getServices('/no-slash'), 'prefix', /must end with "\/"/);
      await argumentError(reg.removeWatch(any(3)), 'prefix');
    });

    it('unregister of a path never registered: resolves, deletes nothing', async () => {
      await checker.put(`${P}foreign`).value('F');
      await reg.unregister(`${P}foreign`);
      expect(await checker.get(`${P}foreign`).string()).toBe('F');
      await checker.delete().key(`${P}foreign`);
      await argumentError(reg.unregister(any('')), 'path');
    });

    it('register of a path held by another registry: ServiceConflictError, the holder keeps it', async () => {
      const other = createRegistry({ endpoints: etcd.endpoints, ttlSeconds: 3, timeoutMs: 4000 });
      try {
        await other.register(`${P}taken`, 'mine');
        const e = await reg.register(`${P}taken`, 'yours').catch((err: unknown) => err);
        expect(e).toBeInstanceOf(ServiceConflictError);
        expect((e as ServiceConflictError).path).toBe(`${P}taken`);
        expect(await checker.get(`${P}taken`).string()).toBe('mine');
      } finally {
        await other.close();
      }
    });

    it('a handler that throws: logged, the watch keeps delivering', async () => {
      const errors: string[] = [];
      const r = createRegistry({
        endpoints: etcd.endpoints,
        logger: { log: () => undefined, warn: (m) => errors.push(m), error: (m) => errors.push(m) },
      });
      try {
        const seen: number[] = [];
        await r.addWatch(`${P}throw/`, (m) => {
          seen.push(Object.keys(m).length);
          throw new Error('handler bug');
        });
        await checker.put(`${P}throw/a`).value('1');
        await waitFor(() => seen.includes(1), { message: 'delivery after a throwing handler' });
        expect(errors.join('\n')).toMatch(/handler bug/);
        await checker.delete().key(`${P}throw/a`);
      } finally {
        await r.close();
      }
    });
  });

  describe('keys and values etcd holds', () => {
    it.each([
      ['unicode', `${P}ünïcødé/服务/🚀`],
      ['spaces', `${P}with space/and\ttab`],
      ["'..' segments", `${P}../../etc/passwd`],
      ['double slashes', `${P}a//b/`],
      ['a newline', `${P}line\nbreak`],
      ['quotes and backslashes', `${P}"q"\\'s'`],
    ])('a key with %s: registered, watched and unregistered verbatim', async (_n, key) => {
      await reg.register(key, 'U');
      expect(await checker.get(key).string()).toBe('U');
      await waitFor(() => rec.last?.[key] === 'U', { message: `watcher to see ${JSON.stringify(key)}` });
      expect((await reg.getServices(P))[key]).toBe('U');
      await reg.unregister(key);
      await waitFor(() => rec.last && !(key in rec.last), { message: `watcher to see ${JSON.stringify(key)} go` });
    });

    it('a non-UTF-8 value written by another client: delivered decoded as UTF-8 (U+FFFD for bad bytes), no crash', async () => {
      const raw = Buffer.from([0x68, 0x69, 0xff, 0xfe, 0x00, 0xc3]);
      await checker.put(`${P}binary`).value(raw);
      await waitFor(() => rec.last && `${P}binary` in rec.last, { message: 'the binary value in the map' });
      expect(rec.last?.[`${P}binary`]).toBe(raw.toString('utf8'));
      expect(rec.last?.[`${P}binary`]).toContain('\uFFFD');
      expect((await reg.getServices(P))[`${P}binary`]).toBe(raw.toString('utf8'));
      await checker.delete().key(`${P}binary`);
    });

    it('a non-UTF-8 key written by another client: delivered under its UTF-8 decoding, no crash', async () => {
      const key = Buffer.concat([Buffer.from(P), Buffer.from([0xc0, 0xaf, 0x41])]);
      await checker.put(key).value('K');
      await waitFor(() => rec.last && key.toString('utf8') in rec.last, { message: 'the non-UTF-8 key in the map' });
      expect(rec.last?.[key.toString('utf8')]).toBe('K');
      await checker.delete().key(key);
      await waitFor(() => rec.last && !(key.toString('utf8') in rec.last), { message: 'the non-UTF-8 key gone' });
    });

    it('a 1 MiB value written by another client into the watched prefix: delivered', async () => {
      const value = 'z'.repeat(1024 * 1024);
      await checker.put(`${P}huge`).value(value);
      await waitFor(() => rec.last?.[`${P}huge`]?.length === value.length, { message: 'the 1 MiB value in the map' });
      await checker.delete().key(`${P}huge`);
    });
  });

  describe('after close()', () => {
    it('every method rejects with RegistryClosedError; close() again resolves', async () => {
      const r = createRegistry({ endpoints: etcd.endpoints });
      await r.register(`${P}closing`, 'C');
      await r.close();
      await expect(r.register(`${P}closing2`, 'C')).rejects.toBeInstanceOf(RegistryClosedError);
      await expect(r.addWatch(`${P}`, () => undefined)).rejects.toBeInstanceOf(RegistryClosedError);
      await expect(r.getServices(`${P}`)).rejects.toBeInstanceOf(RegistryClosedError);
      await expect(r.close()).resolves.toBeUndefined();
      expect(await checker.get(`${P}closing`).string()).toBeNull();
    });
  });

  describe('@WatchServices decorator argument', () => {
    it.each([
      ['a number', 1],
      ['an empty string', ''],
      ['undefined', undefined],
    ])('%s: RegistryArgumentError("prefix") when the class is declared', (_n, prefix) => {
      let e: unknown;
      try {
        WatchServices(any(prefix));
      } catch (err) {
        e = err;
      }
      expect(e).toBeInstanceOf(RegistryArgumentError);
      expect((e as RegistryArgumentError).argument).toBe('prefix');
    });
  });
});
