import { RegistryAuthError, RegistryUnavailableError, ServiceConflictError } from '../../lib';
import { enableEtcdAuth } from '../support/etcd-auth';
import { EtcdServer, startEtcd } from '../support/etcd-launcher';
import { withEtcd, RegistryPool, uniquePrefix } from '../support/registry-fixtures';

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
  const pool = new RegistryPool();

  beforeAll(async () => {
    etcd = await startEtcd();
    const admin = await enableEtcdAuth({ endpoints: etcd.endpoints, rootPassword: 'rootpw' });
    await admin.addUserWithPrefixes('svc', 'svcpw', ['/services/']);
  });
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
});
