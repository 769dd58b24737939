import { ClientProxy } from '@nestjs/microservices';
import { firstValueFrom, Observable, throwError } from 'rxjs';
import { resolveCallDeadlines } from '../../lib/core/balancing/call-deadlines';
import { LoadBalancer } from '../../lib/core/balancing/load-balancer';
import { resolveClientRetry } from '../../lib/microservices/client-retry';
import { RegistryClientProxy, TCP_ADDRESSING } from '../../lib/microservices/registry-client.proxy';
import { fleetOf, instance } from '../support/instance-fixtures';

/** A ClientProxy whose `send` does what the test says, in the proxy's connection map for every instance. */
class ScriptedClient extends ClientProxy {
  constructor(private readonly script: (pattern: unknown) => Observable<unknown>) {
    super();
  }
  async connect(): Promise<void> {}
  async close(): Promise<void> {}
  unwrap<T>(): T {
    return this as unknown as T;
  }
  override send<R>(pattern: unknown): Observable<R> {
    return this.script(pattern) as Observable<R>;
  }
  protected publish(): () => void {
    return () => undefined;
  }
  protected async dispatchEvent<T>(): Promise<T> {
    return undefined as T;
  }
}

function proxyOver(script: (pattern: unknown, key: string) => Observable<unknown>, ids = ['u1', 'u2']) {
  const lb = new LoadBalancer({ transport: TCP_ADDRESSING });
  const instances = ids.map((id, i) =>
    instance('users', id, { address: `127.0.0.1:${1000 + i}`, endpoints: [`tcp://127.0.0.1:${1000 + i}`] }),
  );
  lb.apply(fleetOf(...instances));
  const proxy = new RegistryClientProxy('users', lb, resolveClientRetry({ idempotent: true }), {}, undefined, resolveCallDeadlines());
  const clients = proxy.unwrap<Map<string, { address: string; client: ClientProxy }>>();
  for (const i of instances) clients.set(i.key, { address: i.address, client: new ScriptedClient((p) => script(p, i.key)) });
  const inFlight = () =>
    lb
      .status()
      .services.flatMap((s) => s.instances)
      .reduce((n, i) => n + i.inFlight, 0);
  const failures = () => lb.status().services.flatMap((s) => s.instances.map((i) => i.consecutiveFailures));
  return { proxy, lb, inFlight, failures };
}

describe('BalancedClientCall (through RegistryClientProxy)', () => {
  it('a synchronous answer completes the call and settles its attempt', async () => {
    const { proxy, lb, inFlight, failures } = proxyOver(
      () =>
        new Observable((s) => {
          s.next('hi');
          s.complete();
        }),
      ['u1'],
    );
    await expect(firstValueFrom(proxy.send('p', {}))).resolves.toBe('hi');
    expect(inFlight()).toBe(0);
    expect(failures()).toEqual([0]);
    await lb.close();
  });

  it("a client's send that throws fails that attempt (counted, in flight back to 0) and the call goes on per its retry rules", async () => {
    let calls = 0;
    const { proxy, lb, inFlight } = proxyOver((_p, key) => {
      calls++;
      if (key.endsWith('u1') || calls === 1) throw Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
      return new Observable((s) => {
        s.next(key);
        s.complete();
      });
    });
    // A refused connection (nothing sent) is retried on the other instance.
    await expect(firstValueFrom(proxy.send('p', {}))).resolves.toMatch(/users\/u2$/);
    expect(inFlight()).toBe(0);
    await lb.close();
  });

  it('a synchronous error answer is returned as it is, its attempt settled', async () => {
    const { proxy, lb, inFlight } = proxyOver(() => throwError(() => ({ status: 'error', message: 'nope' })));
    await expect(firstValueFrom(proxy.send('p', {}))).rejects.toEqual({ status: 'error', message: 'nope' });
    expect(inFlight()).toBe(0);
    await lb.close();
  });

  it('an unsubscribe before the answer tears the attempt down and counts as a failure of the instance', async () => {
    let tornDown = 0;
    const { proxy, lb, inFlight, failures } = proxyOver(() => new Observable(() => () => void tornDown++), ['u1']);
    const subscription = proxy.send('p', {}).subscribe();
    expect(inFlight()).toBe(1);
    subscription.unsubscribe();
    expect(tornDown).toBe(1);
    expect(inFlight()).toBe(0);
    expect(failures()).toEqual([1]);
    await lb.close();
  });
});
