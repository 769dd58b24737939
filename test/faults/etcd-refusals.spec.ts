import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { noop } from 'cockatiel';
import { Etcd3 } from 'etcd3';
import { createRegistry, Registry, RegistryArgumentError, RegistryRefusedError, RegistryUnavailableError } from '../../lib/core';
import { finalError } from '../../lib/core/etcd/etcd-errors';
import { assertValue } from '../../lib/core/input-validation';
import { EtcdRegistryModule } from '../../lib/module/etcd-registry.module';
import { startEtcd } from '../support/etcd-launcher';
import { freshRead, printFigures, rawClient, recordFigure } from '../support/registry-probe';
import { generateTlsMaterial, startTlsEtcd, TlsMaterial } from '../support/tls-certs';
import { speaksTls } from '../../lib/core/etcd/tls-probe';

jest.setTimeout(120_000);

const SPEC = 'etcd-refusals';
const TIMEOUT_MS = 5000;
/** "At once": well under timeoutMs (an answer from etcd, not the budget running out). */
const AT_ONCE_MS = 1500;

/** A plain client without etcd3's breaker and retries (they would hide what etcd answers). */
function bareClient(endpoints: string[]): Etcd3 {
  return new Etcd3({ hosts: endpoints.map((e) => `http://${e}`), faultHandling: { host: () => noop, global: noop } });
}

async function rejection(promise: Promise<unknown>): Promise<{ error: Error; ms: number }> {
  const t0 = Date.now();
  const error = await promise.then(
    () => new Error('resolved, expected a rejection'),
    (e: unknown) => e as Error,
  );
  return { error, ms: Date.now() - t0 };
}

async function leaseCount(client: Etcd3): Promise<number> {
  return (await client.leaseClient.leaseLeases({})).leases.length;
}

/**
 * etcd refuses a request for a reason of its own (database full, a flag too
 * small, TLS on the wire): each is a final, typed error at once that names what etcd said and
 * what to do, and leaves nothing behind.
 */
describe('etcd refusals are named right, at once', () => {
  const registries: Registry[] = [];
  const open = (endpoints: string[], extra: Record<string, unknown> = {}) => {
    const r = createRegistry({ endpoints, ttlSeconds: 5, timeoutMs: TIMEOUT_MS, ...extra });
    registries.push(r);
    return r;
  };
  afterEach(async () => {
    await Promise.all(registries.splice(0).map((r) => r.close()));
  });
  afterAll(() => printFigures(SPEC));

  describe('database full (NOSPACE alarm)', () => {
    let etcd: Awaited<ReturnType<typeof startEtcd>>;
    let raw: Etcd3;

    beforeAll(async () => {
      etcd = await startEtcd(['--quota-backend-bytes', String(64 * 1024)]);
      raw = bareClient(etcd.endpoints);
    });
    afterAll(async () => {
      raw?.close();
      await etcd?.stop();
    });

    async function fill(): Promise<void> {
      for (let i = 0; i < 10_000; i++) {
        try {
          await raw.put(`/fill/${i}`).value('x'.repeat(1024));
        } catch (e) {
          expect((e as Error).message).toMatch(/database space exceeded/);
          return;
        }
      }
      throw new Error('etcd never ran out of space');
    }

    it('core: register refused as NOSPACE at once, every time, nothing left; unregister works meanwhile', async () => {
      const reg = open(etcd.endpoints);
      await reg.register('/full/kept', 'K');
      await fill();
      const leasesBefore = await leaseCount(raw);

      for (let i = 0; i < 4; i++) {
        const { error, ms } = await rejection(reg.register(`/full/new${i}`, 'N'));
        recordFigure(SPEC, `NOSPACE: register ${i} refused after`, ms);
        expect(error).toBeInstanceOf(RegistryRefusedError);
        expect((error as RegistryRefusedError).reason).toBe('NOSPACE');
        expect(error.message).toMatch(/NOSPACE/);
        expect(error.message).toMatch(/etcdctl alarm disarm/);
        expect(error.message).toMatch(/--quota-backend-bytes/);
        expect(error.message).not.toMatch(/did not answer|circuit breaker/);
        expect(ms).toBeLessThan(AT_ONCE_MS);
        expect(await raw.get(`/full/new${i}`).string()).toBeNull();
      }
      // A fresh registry (no lease yet): its grant is refused, no lease is left behind.
      const fresh = open(etcd.endpoints);
      const { error } = await rejection(fresh.register('/full/fresh', 'F'));
      expect((error as RegistryRefusedError).reason).toBe('NOSPACE');
      expect(await leaseCount(raw)).toBe(leasesBefore);

      // etcd still takes deletes: the unregister goes through, at once.
      const t0 = Date.now();
      await reg.unregister('/full/kept');
      recordFigure(SPEC, 'NOSPACE: unregister ok after', Date.now() - t0);
      expect(await raw.get('/full/kept').string()).toBeNull();
      // Reads work too, and answer at once.
      expect(await reg.getServices('/full/')).toEqual({});
    });

    it('Nest: app.listen() fails at once with the NOSPACE error', async () => {
      const moduleRef = await Test.createTestingModule({
        imports: [
          EtcdRegistryModule.forRoot({
            endpoints: etcd.endpoints,
            ttlSeconds: 5,
            timeoutMs: TIMEOUT_MS,
            service: { name: 'full', id: 'n1', address: '127.0.0.1:1', prefix: '/full-nest/' },
          }),
        ],
      }).compile();
      const app: INestApplication = moduleRef.createNestApplication();
      try {
        const { error, ms } = await rejection(app.listen(0, '127.0.0.1')); // an HTTP app registers in listen()
        recordFigure(SPEC, 'NOSPACE: Nest app.listen() failed after', ms);
        expect(error).toBeInstanceOf(RegistryRefusedError);
        expect(error.message).toMatch(/NOSPACE.*etcdctl alarm disarm/s);
        expect(ms).toBeLessThan(AT_ONCE_MS);
      } finally {
        await app.close().catch(() => undefined);
      }
      expect(await raw.get('/full-nest/full/n1').string()).toBeNull();
    });
  });

  describe('--max-txn-ops 1', () => {
    let etcd: Awaited<ReturnType<typeof startEtcd>>;
    beforeAll(async () => {
      etcd = await startEtcd(['--max-txn-ops', '1']);
    });
    afterAll(() => etcd?.stop());

    it('every call fits in one operation per branch: register, concurrent registers and unregister all work', async () => {
      // The guarded unregister is one compare (our lease) and one delete, so etcd's smallest
      // --max-txn-ops accepts it (it was refused before, with two compares and a read first).
      const reg = open(etcd.endpoints);
      const checker = rawClient(etcd.endpoints);
      try {
        await reg.register('/ops/a', 'A');
        await Promise.all([reg.register('/ops/b', 'B'), reg.register('/ops/c', 'C')]);
        expect(await freshRead(checker, '/ops/')).toEqual({ '/ops/a': 'A', '/ops/b': 'B', '/ops/c': 'C' });
        const started = Date.now();
        await reg.unregister('/ops/a');
        recordFigure(SPEC, '--max-txn-ops 1: unregister done after', Date.now() - started);
        expect(await freshRead(checker, '/ops/')).toEqual({ '/ops/b': 'B', '/ops/c': 'C' });
      } finally {
        checker.close();
      }
    });

    it('a transaction over the limit is refused with TOO_MANY_TXN_OPS naming the flag, at once, not as a bad argument', async () => {
      const checker = rawClient(etcd.endpoints);
      try {
        const started = Date.now();
        const raw = await checker
          .if('/ops/x', 'Create', '==', 0)
          .and('/ops/y', 'Create', '==', 0)
          .then(checker.put('/ops/x').value('1'))
          .commit()
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        const error = finalError(raw, { endpoints: etcd.endpoints, what: 'a two-key write' });
        recordFigure(SPEC, '--max-txn-ops 1: two-compare txn refused after', Date.now() - started);
        expect(error).toBeInstanceOf(RegistryRefusedError);
        expect((error as RegistryRefusedError).reason).toBe('TOO_MANY_TXN_OPS');
        expect(error!.message).toMatch(/too many operations in txn request/);
        expect(error!.message).toMatch(/--max-txn-ops/);
        expect(error).not.toBeInstanceOf(RegistryArgumentError);
      } finally {
        checker.close();
      }
    });
  });

  describe('request size', () => {
    let etcd: Awaited<ReturnType<typeof startEtcd>>;
    let raw: Etcd3;
    beforeAll(async () => {
      etcd = await startEtcd();
      raw = bareClient(etcd.endpoints);
    });
    afterAll(async () => {
      raw?.close();
      await etcd?.stop();
    });

    /** The longest value (ASCII) that the registry's validation accepts for `path`. */
    function largestAccepted(path: string): number {
      let lo = 0;
      let hi = 2 * 1024 * 1024;
      while (lo < hi) {
        const mid = Math.ceil((lo + hi) / 2);
        let ok = true;
        try {
          assertValue(path, 'v'.repeat(mid));
        } catch {
          ok = false;
        }
        if (ok) lo = mid;
        else hi = mid - 1;
      }
      return lo;
    }

    it('with a long key, the largest value validation accepts is accepted by etcd; one byte more is refused by validation', async () => {
      const reg = open(etcd.endpoints);
      const path = `/size/${'k'.repeat(200 * 1024)}`;
      const max = largestAccepted(path);
      recordFigure(SPEC, 'largest value accepted with a 200 KiB key', max, 'bytes');
      await reg.register(path, 'v'.repeat(max));
      expect((await raw.get(path).buffer())?.length).toBe(max);

      const other = `/size/${'o'.repeat(200 * 1024)}`;
      const { error, ms } = await rejection(reg.register(other, 'v'.repeat(max + 1)));
      expect(error).toBeInstanceOf(RegistryArgumentError);
      expect((error as RegistryArgumentError).argument).toBe('value');
      expect(error.message).toMatch(/3 times/);
      expect(error.message).toMatch(new RegExp(`the value may take ${max} bytes`));
      expect(ms).toBeLessThan(100);
      expect(await raw.get(other).string()).toBeNull();
    });

    it('a request over a smaller --max-request-bytes of etcd is named as such, at once', async () => {
      const small = await startEtcd(['--max-request-bytes', String(64 * 1024)]);
      try {
        const reg = open(small.endpoints);
        await reg.register('/size/small', 'S');
        const { error, ms } = await rejection(reg.register('/size/big', 'v'.repeat(100 * 1024)));
        expect(error).toBeInstanceOf(RegistryRefusedError);
        expect((error as RegistryRefusedError).reason).toBe('REQUEST_TOO_LARGE');
        expect(error.message).toMatch(/--max-request-bytes/);
        expect(ms).toBeLessThan(AT_ONCE_MS);
        expect(await reg.getServices('/size/')).toEqual({ '/size/small': 'S' });
      } finally {
        await Promise.all(registries.splice(0).map((r) => r.close()));
        await small.stop();
      }
    });
  });

  describe('a plaintext client against a TLS etcd', () => {
    let tls: TlsMaterial;
    let etcd: Awaited<ReturnType<typeof startTlsEtcd>>;
    let plainEndpoints: string[];
    beforeAll(async () => {
      tls = generateTlsMaterial();
      etcd = await startTlsEtcd(tls, false);
      plainEndpoints = etcd.endpoints.map((e) => e.replace(/^https:\/\//, ''));
    });
    afterAll(async () => {
      await etcd?.stop();
      tls?.cleanup();
    });

    const TLS_HINT = /speaks TLS.*https:\/\/.*"tls"/;

    it('the probe: a TLS etcd speaks TLS; a plaintext etcd and a closed port do not', async () => {
      const plain = await startEtcd();
      try {
        expect(await speaksTls(plainEndpoints[0], 1000)).toBe(true);
        expect(await speaksTls(plain.endpoints[0], 1000)).toBe(false);
        expect(await speaksTls('127.0.0.1:9', 1000)).toBe(false);
      } finally {
        await plain.stop();
      }
    });

    it('core: register, getServices and addWatch fail at once with a TLS hint', async () => {
      const reg = open(plainEndpoints);
      for (const [what, call] of [
        ['register', () => reg.register('/tls-plain/a', 'A')],
        ['getServices', () => reg.getServices('/tls-plain/')],
        ['addWatch', () => reg.addWatch('/tls-plain/', () => undefined)],
      ] as const) {
        const { error, ms } = await rejection(call());
        recordFigure(SPEC, `plaintext to TLS: ${what} failed after`, ms);
        expect(error).toBeInstanceOf(RegistryUnavailableError);
        expect(error.message).toMatch(TLS_HINT);
        expect(ms).toBeLessThan(AT_ONCE_MS);
      }
    });

    it('Nest: app.listen() fails at once with the TLS hint', async () => {
      const moduleRef = await Test.createTestingModule({
        imports: [
          EtcdRegistryModule.forRoot({
            endpoints: plainEndpoints,
            ttlSeconds: 5,
            timeoutMs: TIMEOUT_MS,
            service: { name: 'plain', id: 'p1', address: '127.0.0.1:1' },
          }),
        ],
      }).compile();
      const app = moduleRef.createNestApplication();
      try {
        const { error, ms } = await rejection(app.listen(0, '127.0.0.1'));
        recordFigure(SPEC, 'plaintext to TLS: Nest app.listen() failed after', ms);
        expect(error.message).toMatch(TLS_HINT);
        expect(ms).toBeLessThan(AT_ONCE_MS);
      } finally {
        await app.close().catch(() => undefined);
      }
    });
  });
});
