import { RegistryClosedError, RegistryRefusedError, RegistryUnavailableError } from '../../lib/core/errors';
import { OperationRunner } from '../../lib/core/operation-runner';
import { resolveRegistryOptions } from '../../lib/core/options';
import { GRPCInvalidArgumentError, GRPCUnavailableError } from 'etcd3';
import type { CallOptions } from '@grpc/grpc-js';
import { HostSelection } from '../../lib/core/etcd/host-selection';
import { monotonicNow } from '../../lib/core/deadline';
import { etcd3ErrorKind } from '../../lib/core/etcd/etcd-errors';

/** Pure logic of the runner (attempts are plain functions here; nothing talks to etcd). */
describe('OperationRunner', () => {
  // https:// endpoints: no TLS probe (it is for plaintext clients only).
  const runner = (timeoutMs: number) =>
    new OperationRunner(resolveRegistryOptions({ endpoints: ['https://127.0.0.1:1'], timeoutMs }), undefined, etcd3ErrorKind);
  const later = <T>(ms: number, value: T) => new Promise<T>((r) => setTimeout(() => r(value), ms));

  it('a slow attempt is not dropped: it succeeds after attemptMs although a second one started', async () => {
    const r = runner(3000); // attempts every 1000 ms (attemptTimeoutMs, a third of the budget at most)
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

  it('the cause named is not an attempt cut by its own deadline when an earlier one said more', async () => {
    const r = runner(600);
    let n = 0;
    const error = await r
      .run('read', r.deadline(), () =>
        Promise.reject(
          ++n === 1
            ? Object.assign(new Error('14 UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED'), { code: 14 })
            : Object.assign(new Error('4 DEADLINE_EXCEEDED: Deadline exceeded after 0.001s,Waiting for LB pick'), { code: 4 }),
        ),
      )
      .catch((e: unknown) => e);
    expect(n).toBeGreaterThan(1);
    expect((error as Error).message).toMatch(/within 600 ms \(No connection established. Last error: connect ECONNREFUSED\)/);
  });

  it('no attempt when the budget is already spent; RegistryClosedError once closed', async () => {
    const r = runner(1000);
    const attempt = jest.fn(() => Promise.resolve(1));
    await expect(r.run('read', r.deadline() - 2000, attempt)).rejects.toBeInstanceOf(RegistryUnavailableError);
    expect(attempt).not.toHaveBeenCalled();
    r.close();
    await expect(r.run('read', r.deadline(), attempt)).rejects.toBeInstanceOf(RegistryClosedError);
  });

  describe('per-attempt deadlines (with a host selection)', () => {
    const deadlineIn = (call: CallOptions) => (call.deadline as Date).getTime() - Date.now();
    const withHosts = (timeoutMs: number, selection: HostSelection, attemptTimeoutMs?: number) =>
      new OperationRunner(
        resolveRegistryOptions({ endpoints: ['https://127.0.0.1:1'], timeoutMs, attemptTimeoutMs }),
        selection,
        etcd3ErrorKind,
      );
    const ownDeadline = (call: CallOptions) =>
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('own deadline')), Math.max(0, deadlineIn(call))));

    it('while another member is usable, an attempt gets attemptTimeoutMs; one that hits it is retried at once', async () => {
      const selection = new HostSelection(['a', 'b', 'c']);
      const r = withHosts(5000, selection, 300);
      const deadlines: number[] = [];
      const starts: number[] = [];
      const t0 = Date.now();
      const value = await r.run('write', r.deadline(), (call) => {
        deadlines.push(deadlineIn(call));
        starts.push(Date.now() - t0);
        if (starts.length === 1) {
          selection.failed('a'); // what the client's fault policy does when the call dies by its deadline
          return ownDeadline(call);
        }
        return Promise.resolve('second');
      });
      expect(value).toBe('second');
      expect(deadlines[0]).toBeLessThanOrEqual(300);
      expect(deadlines[0]).toBeGreaterThan(200);
      // No backoff after an attempt that used its whole time: the next one starts right away.
      expect(starts[1]).toBeLessThan(400);
    });

    it('with one usable member left, an attempt is not cut (a slow link): another starts next to it after attemptTimeoutMs, then twice as late', async () => {
      const selection = new HostSelection(['a', 'b', 'c']);
      selection.failed('a');
      selection.failed('b');
      const r = withHosts(2000, selection, 300);
      const deadlines: number[] = [];
      const starts: number[] = [];
      const t0 = Date.now();
      // The first answer takes 1000 ms (a slow link); the others would take longer.
      const value = await r.run('read', r.deadline(), (call) => {
        deadlines.push(deadlineIn(call));
        starts.push(Date.now() - t0);
        return starts.length === 1 ? later(1000, 'first') : later(1500, 'later');
      });
      expect(value).toBe('first');
      expect(deadlines[0]).toBeGreaterThan(1900);
      expect(starts.length).toBe(3);
      expect(starts[1]).toBeGreaterThanOrEqual(290);
      // One attempt still running: the third waits twice as long (600 ms) after the second.
      expect(starts[2] - starts[1]).toBeGreaterThanOrEqual(590);
      expect(Date.now() - t0).toBeLessThan(1300);
    });

    it('a member dropped the write (no leader): the attempt next to it gets the answer; one refused at once next to it is retried after the backoff', async () => {
      const selection = new HostSelection(['a', 'b', 'c']);
      for (const n of ['a', 'b', 'c']) selection.failed(n);
      const r = withHosts(5000, selection, 300);
      const starts: number[] = [];
      const t0 = Date.now();
      const value = await r.run('write', r.deadline(), () => {
        starts.push(Date.now() - t0);
        if (starts.length === 1) return new Promise<string>(() => undefined); // dropped: never answered
        if (starts.length === 2) return Promise.reject(new GRPCUnavailableError('14 UNAVAILABLE: connect ECONNREFUSED'));
        return later(10, 'third');
      });
      expect(value).toBe('third');
      // Not the doubled 600 ms of the first attempt's timer: the backoff (at most 50 ms here).
      expect(starts[2] - starts[1]).toBeLessThan(200);
      expect(Date.now() - t0).toBeLessThan(700);
    });

    it('refused at once every time: retried until the budget runs out, no attempt started with it spent, the last real cause named', async () => {
      const selection = new HostSelection(['a', 'b', 'c']);
      for (const n of ['a', 'b', 'c']) selection.failed(n);
      const r = withHosts(1000, selection, 300);
      const deadlines: number[] = [];
      const error = await r
        .run('read', r.deadline(), (call) => {
          deadlines.push(deadlineIn(call));
          return Promise.reject(new GRPCUnavailableError('14 UNAVAILABLE: connect ECONNREFUSED'));
        })
        .catch((e: unknown) => e);
      expect(deadlines.length).toBeGreaterThan(2);
      for (const d of deadlines) expect(d).toBeGreaterThan(0);
      expect((error as Error).message).toMatch(/within 1000 ms \(connect ECONNREFUSED\)/);
    });

    it('a budget of 500 ms: attempts of a third of it, the error names the 500 ms that ran out', async () => {
      const selection = new HostSelection(['a', 'b', 'c']);
      const r = withHosts(3000, selection);
      const deadlines: number[] = [];
      const t0 = Date.now();
      const error = await r
        .run('health probe', monotonicNow() + 500, (call) => {
          deadlines.push(deadlineIn(call));
          return ownDeadline(call);
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RegistryUnavailableError);
      expect((error as Error).message).toContain('within 500 ms');
      expect(Date.now() - t0).toBeLessThan(600);
      expect(deadlines[0]).toBeLessThanOrEqual(166);
    });
  });
});
