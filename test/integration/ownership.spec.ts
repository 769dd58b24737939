import { Etcd3 } from 'etcd3';
import { RegistryAuthError, RegistryUnavailableError, ServiceConflictError } from '../../lib';
import { waitFor } from '../support/wait-for';
import { enableEtcdAuth } from '../support/etcd-auth';
import { EtcdServer, startEtcd } from '../support/etcd-launcher';
import { RecordingLogger, withEtcd, RegistryPool, uniquePrefix } from '../support/registry-fixtures';

describe('key ownership and failures of register (real etcd)', () => {
  const t = withEtcd('shared');

  const holder = async (key: string) => {
    const kv = (await t.client.get(key).exec()).kvs[0];
    return kv && { value: kv.value.toString(), lease: String(kv.lease) };
  };

  it('refuses a path held by another live lease and never overwrites nor deletes it', async () => {
    const path = `${uniquePrefix()}user/instance-1`;
    const first = await t.pool.create(t.etcd.endpoints);
    const second = await t.pool.create(t.etcd.endpoints);
    await first.register(path, 'first');
    const error = await second.register(path, 'second').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceConflictError);
    expect((error as Error).message).toMatch(/held by another live lease .*give each instance its own id/);
    expect(await holder(path)).toEqual({ value: 'first', lease: first.leaseId });
    await second.unregister(path);
    await second.close();
    expect(await holder(path)).toEqual({ value: 'first', lease: first.leaseId });
  });

  it('refuses a path written without a lease by another client', async () => {
    const path = `${uniquePrefix()}static/1`;
    await t.client.put(path).value('static');
    const registry = await t.pool.create(t.etcd.endpoints);
    await expect(registry.register(path, 'mine')).rejects.toThrow(/already exists without a lease/);
    await registry.close();
    expect(await holder(path)).toEqual({ value: 'static', lease: '0' });
  });

  it('updates the value of a path it holds, under the same lease', async () => {
    const path = `${uniquePrefix()}user/1`;
    const registry = await t.pool.create(t.etcd.endpoints);
    await registry.register(path, 'v1');
    await registry.register(path, 'v2');
    expect(await holder(path)).toEqual({ value: 'v2', lease: registry.leaseId });
  });

  it('rejects within timeoutMs, naming the endpoints, when etcd is unreachable', async () => {
    const registry = await t.pool.create(['127.0.0.1:9'], { timeoutMs: 1000 });
    const started = Date.now();
    const error = await registry.register('/services/a/1', 'x').catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(1000 + 700);
    expect(error).toBeInstanceOf(RegistryUnavailableError);
    expect((error as Error).message).toMatch(/etcd at 127\.0\.0\.1:9 did not answer registration of "\/services\/a\/1" within 1000 ms/);
  });

  it('rejects bad input with an error naming the argument', async () => {
    const registry = await t.pool.create(t.etcd.endpoints);
    await expect(registry.register('', 'x')).rejects.toThrow(/Argument "path" must be a non-empty string/);
    await expect(registry.register(42 as unknown as string, 'x')).rejects.toThrow(/Argument "path"/);
    await expect(registry.register('/a/b', undefined as unknown as string)).rejects.toThrow(/Argument "value" must be a string/);
    await expect(registry.register('/a/b', 'x'.repeat(2 * 1024 * 1024))).rejects.toThrow(/over etcd's request limit/);
    await expect(registry.unregister('')).rejects.toThrow(/Argument "path"/);
    await expect(registry.getServices('/a')).rejects.toThrow(/must end with "\/"/);
    await expect(registry.addWatch('/a/', 'nope' as never)).rejects.toThrow(/Argument "fn" must be a function/);
  });
});

describe('register with etcd auth (real etcd)', () => {
  let etcd: EtcdServer;
  let root: Etcd3;
  const leaseIds = async () => (await root.leaseClient.leaseLeases()).leases.map((l) => String(l.ID));
  const pool = new RegistryPool();

  beforeAll(async () => {
    etcd = await startEtcd();
    const admin = await enableEtcdAuth({ endpoints: etcd.endpoints, rootPassword: 'rootpw' });
    await admin.addUserWithPrefixes('svc', 'svcpw', ['/services/']);
    await admin.addUserWithPrefixes('multi', 'multipw', ['/services/', '/jobs/']);
    root = new Etcd3({ hosts: etcd.endpoints.map((e) => `http://${e}`), auth: { username: 'root', password: 'rootpw' } });
  });
  afterAll(() => root.close());
  afterEach(() => pool.closeAll());
  afterAll(() => etcd.stop());

  it('works with the right password', async () => {
    const registry = await pool.create(etcd.endpoints, { username: 'svc', password: 'svcpw' });
    await registry.register('/services/auth/1', 'x');
    expect(await registry.getServices('/services/auth/')).toEqual({ '/services/auth/1': 'x' });
  });

  it('rejects a wrong password at once with a clear error that does not contain the password', async () => {
    const registry = await pool.create(etcd.endpoints, { username: 'svc', password: 'wrong-pw', timeoutMs: 3000 });
    const started = Date.now();
    const error = await registry.register('/services/auth/2', 'x').catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(error).toBeInstanceOf(RegistryAuthError);
    expect((error as Error).message).toMatch(/refused the credentials of user "svc"/);
    expect((error as Error).message).not.toContain('wrong-pw');
  });

  it('rejects a key outside the role with a permission error', async () => {
    const registry = await pool.create(etcd.endpoints, { username: 'svc', password: 'svcpw' });
    await expect(registry.register('/elsewhere/1', 'x')).rejects.toThrow(/etcd denied .* to user "svc"/);
    await registry.register('/services/auth/3', 'y');
  });

  it('a register refused for lack of permission fails at once and leaves no lease behind', async () => {
    const registry = await pool.create(etcd.endpoints, { username: 'svc', password: 'svcpw' });
    const started = Date.now();
    await expect(registry.register('/elsewhere/2', 'x')).rejects.toBeInstanceOf(RegistryAuthError);
    expect(Date.now() - started).toBeLessThan(1500);
    await waitFor(async () => (await leaseIds()).length === 0, { timeoutMs: 3000, message: 'no lease left' });
    expect(registry.leaseId).toBeUndefined();
  });

  it('guards keys under two permitted prefixes although a watch over their common prefix is refused', async () => {
    const logger = new RecordingLogger();
    const registry = await pool.create(etcd.endpoints, { username: 'multi', password: 'multipw', logger });
    await registry.register('/services/m/1', 'a');
    await registry.register('/jobs/m/1', 'b');
    await root.delete().key('/jobs/m/1');
    await root.delete().key('/services/m/1');
    await waitFor(
      async () =>
        (await root.getAll().prefix('/jobs/m/').keys()).length === 1 && (await root.getAll().prefix('/services/m/').keys()).length === 1,
      {
        timeoutMs: 5000,
        message: 'both keys put back',
      },
    ).catch((e) => {
      console.log(logger.lines);
      throw e;
    });
    expect(registry.status().registrations.map((r) => r.state)).toEqual(['registered', 'registered']);
  });
});
