import { createRegistry, Registry, RegistryAuthError, RegistryUnavailableError } from '../../lib/core';
import { enableEtcdAuth, shortTokenTtlArgs } from '../support/etcd-auth';
import { startEtcd } from '../support/etcd-launcher';
import { startFaultProxy } from '../support/fault-proxy';
import { printFigures, recordFigure } from '../support/registry-probe';
import { recordWatch } from '../support/watch-recorder';
import { generateTlsMaterial, startTlsEtcd, TlsMaterial } from '../support/tls-certs';
import { waitFor } from '../support/wait-for';

jest.setTimeout(120_000);

const SPEC = 'security';
const TOKEN_TTL_SECONDS = 2;

afterAll(() => printFigures(SPEC));

/** Expects `promise` to reject with `type` and a message matching `pattern`; returns how long it took. */
async function rejection(promise: Promise<unknown>, type: new (...a: never[]) => Error, pattern: RegExp): Promise<number> {
  const t0 = Date.now();
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(type);
  expect((error as Error).message).toMatch(pattern);
  return Date.now() - t0;
}

describe('etcd with auth enabled (users, a prefix role, a short token TTL)', () => {
  let etcd: Awaited<ReturnType<typeof startEtcd>>;
  let root: Awaited<ReturnType<typeof enableEtcdAuth>>;
  const registries: Registry[] = [];

  beforeAll(async () => {
    etcd = await startEtcd(shortTokenTtlArgs(TOKEN_TTL_SECONDS));
    root = await enableEtcdAuth({ endpoints: etcd.endpoints, rootPassword: 'root-pw' });
    await root.addUserWithPrefixes('svc', 'svc-pw', ['/sec/']);
  });

  afterEach(async () => {
    await Promise.all(registries.splice(0).map((r) => r.close()));
  });

  afterAll(async () => {
    await etcd?.stop();
  });

  async function registry(username: string, password: string, endpoints = etcd.endpoints): Promise<Registry> {
    const r = createRegistry({ endpoints, username, password, ttlSeconds: 3, timeoutMs: 4000 });
    registries.push(r);
    return r;
  }

  it('user and password: register, watch and read work', async () => {
    const r = await registry('svc', 'svc-pw');
    await r.register('/sec/ok/a', 'A');
    const rec = await recordWatch(r, '/sec/ok/');
    expect(rec.last).toEqual({ '/sec/ok/a': 'A' });
    expect(await r.getServices('/sec/ok/')).toEqual({ '/sec/ok/a': 'A' });
    expect(await root.run(['get', '/sec/ok/a', '--print-value-only'])).toBe('A\n');
  });

  it('a wrong password: a clear RegistryAuthError, quickly, and no retry storm', async () => {
    const proxy = await startFaultProxy(etcd.endpoints);
    try {
      const r = await registry('svc', 'wrong-pw', proxy.endpoints);
      const took = await rejection(r.register('/sec/bad/a', 'A'), RegistryAuthError, /refused the credentials of user "svc".*"password"/);
      recordFigure(SPEC, 'wrong password: RegistryAuthError after', took);
      expect(took).toBeLessThan(2000);
      // Nothing keeps hammering etcd afterwards (a retry storm would send auth requests continuously).
      const before = proxy.bytesFromClient;
      await new Promise((res) => setTimeout(res, 2000)); // the observation window
      const sent = proxy.bytesFromClient - before;
      recordFigure(SPEC, 'wrong password: bytes sent in the next 2 s', sent, 'bytes');
      expect(sent).toBeLessThan(1000);
      // Watching and reading fail the same clear way.
      await rejection(r.getServices('/sec/bad/'), RegistryAuthError, /refused the credentials/);
      await rejection(
        r.addWatch('/sec/bad/', () => undefined),
        RegistryAuthError,
        /refused the credentials/,
      );
    } finally {
      await proxy.close();
    }
  });

  it('no credentials against an etcd with auth on: a RegistryAuthError asking for username and password, at once', async () => {
    const r = createRegistry({ endpoints: etcd.endpoints, timeoutMs: 5000 });
    try {
      const took = await rejection(
        r.register('/sec/none/a', 'A'),
        RegistryAuthError,
        /auth enabled and no credentials.*"username" and "password"/,
      );
      recordFigure(SPEC, 'no credentials: RegistryAuthError after', took);
      expect(took).toBeLessThan(2000);
      await rejection(r.getServices('/sec/none/'), RegistryAuthError, /no credentials/);
    } finally {
      await r.close();
    }
  });

  it('a token that expires mid-run is renewed: the lease, the watch and new calls keep working', async () => {
    const owner = await registry('svc', 'svc-pw');
    const watcher = await registry('svc', 'svc-pw');
    await owner.register('/sec/token/a', 'A');
    const rec = await recordWatch(watcher, '/sec/token/');
    // Let every token expire (simple tokens live TOKEN_TTL_SECONDS without use; the watcher's
    // client sends nothing meanwhile). The fault itself is the passing of time.
    await new Promise((res) => setTimeout(res, (TOKEN_TTL_SECONDS + 2) * 1000));
    const t0 = Date.now();
    await owner.register('/sec/token/b', 'B');
    expect(await watcher.getServices('/sec/token/')).toEqual({ '/sec/token/a': 'A', '/sec/token/b': 'B' });
    await waitFor(() => rec.last?.['/sec/token/b'] === 'B', { timeoutMs: 10_000, message: 'the watch to deliver after token expiry' });
    recordFigure(SPEC, 'token expired: next register + read + watch ok after', Date.now() - t0);
    expect(rec.missingSince('/sec/token/a', 0)).toBe(0);
  });

  it('after an idle spell longer than the token TTL: a new watch and a new ownership guard are created (no jammed watch queue)', async () => {
    const r = await registry('svc', 'svc-pw');
    const rec = await recordWatch(r, '/sec/idle/a/');
    // Idle: every token expires; the client's watch stream keeps the expired one.
    await new Promise((res) => setTimeout(res, (TOKEN_TTL_SECONDS + 2) * 1000));
    const t0 = Date.now();
    // A new watch on the old stream: etcd refuses its creation (invalid auth token).
    const recB = await recordWatch(r, '/sec/idle/b/');
    await root.run(['put', '/sec/idle/b/x', 'X']);
    await waitFor(() => recB.last?.['/sec/idle/b/x'] === 'X', {
      timeoutMs: 10_000,
      message: 'the watch created after the idle spell to deliver',
    });
    recordFigure(SPEC, 'token expired: new watch delivers after', Date.now() - t0);
    await waitFor(() => r.status().watches.every((w) => w.live), { timeoutMs: 10_000, message: 'every watch live again' });
    // A registration after idle gets a live ownership guard: a delete from outside is undone.
    await new Promise((res) => setTimeout(res, (TOKEN_TTL_SECONDS + 2) * 1000));
    await r.register('/sec/idle/b/mine', 'M');
    await root.run(['del', '/sec/idle/b/mine']);
    const t1 = Date.now();
    await waitFor(async () => (await root.run(['get', '/sec/idle/b/mine', '--print-value-only'])) === 'M\n', {
      timeoutMs: 10_000,
      message: 'the key deleted from outside to be put back',
    });
    recordFigure(SPEC, 'token expired: key deleted from outside back after', Date.now() - t1);
    await root.run(['put', '/sec/idle/a/y', 'Y']);
    await waitFor(() => rec.last?.['/sec/idle/a/y'] === 'Y', { timeoutMs: 10_000, message: 'the first watch still delivering' });
  });

  it('a role limited to one prefix: registering outside fails with a clear permission error, the rest keeps working', async () => {
    const r = await registry('svc', 'svc-pw');
    await r.register('/sec/role/in', 'IN');
    const rec = await recordWatch(r, '/sec/role/');
    const took = await rejection(r.register('/other/out', 'OUT'), RegistryAuthError, /denied .*"\/other\/out".* user "svc".*grant/);
    expect(took).toBeLessThan(2000);
    await rejection(
      r.addWatch('/other/', () => undefined),
      RegistryAuthError,
      /denied/,
    );
    await rejection(r.getServices('/other/'), RegistryAuthError, /denied/);
    // Nothing else stopped: the key inside is kept alive, new registrations and the watch work.
    await r.register('/sec/role/in2', 'IN2');
    await waitFor(() => rec.last?.['/sec/role/in2'] === 'IN2', { timeoutMs: 10_000, message: 'the watch after a denied call' });
    expect(await r.getServices('/sec/role/')).toEqual({ '/sec/role/in': 'IN', '/sec/role/in2': 'IN2' });
    expect(await root.run(['get', '/other/out'])).toBe('');
  });
});

describe('etcd over TLS (material generated with openssl)', () => {
  let tls: TlsMaterial;
  const stops: (() => Promise<void>)[] = [];
  const registries: Registry[] = [];

  beforeAll(() => {
    tls = generateTlsMaterial();
  });

  afterEach(async () => {
    await Promise.all(registries.splice(0).map((r) => r.close()));
  });

  afterAll(async () => {
    for (const stop of stops) await stop();
    tls?.cleanup();
  });

  it('server TLS with the CA: register and watch work', async () => {
    const etcd = await startTlsEtcd(tls, false);
    stops.push(etcd.stop);
    const r = createRegistry({ endpoints: etcd.endpoints, tls: { ca: tls.ca }, ttlSeconds: 3, timeoutMs: 4000 });
    registries.push(r);
    await r.register('/tls/a', 'A');
    const rec = await recordWatch(r, '/tls/');
    expect(rec.last).toEqual({ '/tls/a': 'A' });

    // The wrong CA: a clear error naming TLS and the option to check, within the time budget.
    const wrong = createRegistry({ endpoints: etcd.endpoints, tls: { ca: tls.otherCa }, ttlSeconds: 3, timeoutMs: 3000 });
    registries.push(wrong);
    const took = await rejection(wrong.register('/tls/b', 'B'), RegistryUnavailableError, /TLS|certificate|tls\.ca/i);
    recordFigure(SPEC, 'wrong CA: error after (timeoutMs 3000)', took);
    expect(took).toBeLessThan(3000 + 1000);
  });

  it('mutual TLS with a client certificate works; without one, or with one from another CA, a clear error', async () => {
    const etcd = await startTlsEtcd(tls, true);
    stops.push(etcd.stop);
    const r = createRegistry({
      endpoints: etcd.endpoints,
      tls: { ca: tls.ca, cert: tls.clientCert, key: tls.clientKey },
      ttlSeconds: 3,
      timeoutMs: 4000,
    });
    registries.push(r);
    await r.register('/mtls/a', 'A');
    expect(await r.getServices('/mtls/')).toEqual({ '/mtls/a': 'A' });

    const noCert = createRegistry({ endpoints: etcd.endpoints, tls: { ca: tls.ca }, ttlSeconds: 3, timeoutMs: 2000 });
    registries.push(noCert);
    const t1 = await rejection(noCert.register('/mtls/b', 'B'), RegistryUnavailableError, /etcd at .*(TLS|certificate|did not answer)/i);
    recordFigure(SPEC, 'mTLS without client cert: error after (timeoutMs 2000)', t1);
    expect(t1).toBeLessThan(2000 + 1000);

    const otherCert = createRegistry({
      endpoints: etcd.endpoints,
      tls: { ca: tls.ca, cert: tls.otherClientCert, key: tls.otherClientKey },
      ttlSeconds: 3,
      timeoutMs: 2000,
    });
    registries.push(otherCert);
    await rejection(otherCert.register('/mtls/c', 'C'), RegistryUnavailableError, /etcd at /);
    // The working registry was not disturbed.
    expect(await r.getServices('/mtls/')).toEqual({ '/mtls/a': 'A' });
  });
});
