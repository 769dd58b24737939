import { RegistryClosedError, RegistryRefusedError, RegistryUnavailableError } from '../../lib/core/errors';
import { OperationRunner } from '../../lib/core/operation-runner';
import { resolveRegistryOptions } from '../../lib/core/options';
import { GRPCInvalidArgumentError, GRPCUnavailableError } from 'etcd3';

/** Pure logic of the runner (attempts are plain functions here; nothing talks to etcd). */
describe('OperationRunner', () => {
  // https:// endpoints: no TLS probe (it is for plaintext clients only).
  const runner = (timeoutMs: number) => new OperationRunner(resolveRegistryOptions({ endpoints: ['https://127.0.0.1:1'], timeoutMs }));
  const later = <T>(ms: number, value: T) => new Promise<T>((r) => setTimeout(() => r(value), ms));

  it('a slow attempt is not dropped: it succeeds after attemptMs although a second one started', async () => {
    const r = runner(2000); // attempts every 1000 ms
    const started: number[] = [];
    const t0 = Date.now();
    const value = await r.run('read', r.deadline(), () => {
      started.push(Date.now() - t0);
      return started.length === 1 ? later(1500, 'first') : new Promise<string>(() => undefined);
    });
    expect(value).toBe('first');
    expect(started.length).toBe(2);
    expect(started[1]).toBeGreaterThanOrEqual(900);
  });

  it('a stuck attempt gets another next to it, whose answer wins (leader failover)', async () => {
    const r = runner(2000);
    let n = 0;
    const left = jest.fn();
    const t0 = Date.now();
    const value = await r.run('write', r.deadline(), () => (++n === 1 ? new Promise<string>(() => undefined) : later(50, 'second')), left);
    expect(value).toBe('second');
    expect(Date.now() - t0).toBeLessThan(1500);
    // The first attempt is still running: the caller is told (a write that may still land).
    expect(left).toHaveBeenCalledTimes(1);
  });

  it('transient failures are retried until success; leftInFlight not called when nothing runs', async () => {
    const r = runner(2000);
    let n = 0;
    const left = jest.fn();
    const value = await r.run(
      'read',
      r.deadline(),
      async () => {
        if (++n < 3) throw new GRPCUnavailableError('14 UNAVAILABLE: etcdserver: leader changed');
        return n;
      },
      left,
    );
    expect(value).toBe(3);
    expect(left).not.toHaveBeenCalled();
  });

  it('a final error rejects at once, even with another attempt running', async () => {
    const r = runner(4000);
    let n = 0;
    const t0 = Date.now();
    const error = await r
      .run('write', r.deadline(), () =>
        ++n === 1
          ? new Promise<never>(() => undefined)
          : Promise.reject(new GRPCInvalidArgumentError('etcdserver: too many operations in txn request')),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryRefusedError);
    expect(Date.now() - t0).toBeLessThan(2500);
  });

  it('the budget running out: RegistryUnavailableError with the last cause, within the budget', async () => {
    const r = runner(800);
    const t0 = Date.now();
    const error = await r
      .run('read', r.deadline(), () => Promise.reject(new GRPCUnavailableError('14 UNAVAILABLE: Connection refused')))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryUnavailableError);
    expect((error as Error).message).toMatch(/within 800 ms \(Connection refused\)/);
    expect(Date.now() - t0).toBeLessThan(800 + 200);
  });

  it('no attempt when the budget is already spent; RegistryClosedError once closed', async () => {
    const r = runner(1000);
    const attempt = jest.fn(() => Promise.resolve(1));
    await expect(r.run('read', r.deadline() - 2000, attempt)).rejects.toBeInstanceOf(RegistryUnavailableError);
    expect(attempt).not.toHaveBeenCalled();
    r.close();
    await expect(r.run('read', r.deadline(), attempt)).rejects.toBeInstanceOf(RegistryClosedError);
  });
});
