import axios, { AxiosAdapter, InternalAxiosRequestConfig } from 'axios';
import { createServer, IncomingMessage, Server, ServerResponse } from 'http';
import { AddressInfo } from 'net';
import { balancedAdapter } from '../../lib/axios/balanced-adapter';
import { resolveHttpRetry } from '../../lib/axios/http-retry';
import { HTTP_ADDRESSING } from '../../lib/axios/registry-http.service';
import { AttemptTimeoutError } from '../../lib/core/balancing/balancing.errors';
import { resolveCallDeadlines } from '../../lib/core/balancing/call-deadlines';
import { LoadBalancer } from '../../lib/core/balancing/load-balancer';
import { fleetOf, instance } from '../support/instance-fixtures';

/** The attempt's signal and deadline: axios's own http adapter (a light signal) and a module adapter (a real AbortSignal). */
describe('balancedAdapter: attempt signal and deadline', () => {
  let server: Server;
  let port: number;
  const closed: string[] = [];
  const hanging = new Set<ServerResponse>();

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      if (req.url === '/hang') {
        hanging.add(res);
        req.socket.once('close', () => closed.push(req.url!));
        return;
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ url: req.url }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    for (const res of hanging) res.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  function client(deadlines: { attemptTimeoutMs?: number; deadlineMs?: number }, next?: AxiosAdapter) {
    const lb = new LoadBalancer({ transport: HTTP_ADDRESSING });
    lb.apply(fleetOf(instance('user-service', 'u1', { address: `127.0.0.1:${port}`, endpoints: [`http://127.0.0.1:${port}`] })));
    return { lb, http: axios.create({ adapter: balancedAdapter(() => lb, resolveHttpRetry(), next, resolveCallDeadlines(deadlines)) }) };
  }

  it("answers through axios's own http adapter; the response's config shows the target", async () => {
    const { lb, http } = client({});
    const res = await http.get<{ url: string }>('http://user-service/users/1?x=1');
    expect(res.data).toEqual({ url: '/users/1?x=1' });
    expect(res.config.url).toBe(`http://127.0.0.1:${port}/users/1?x=1`);
    expect(res.config.baseURL).toBeUndefined();
    expect(lb.status().services[0].instances[0].inFlight).toBe(0);
  });

  it("a deadline aborts the request of axios's own adapter (the connection closes) and fails a POST", async () => {
    const { lb, http } = client({ attemptTimeoutMs: 100 });
    const before = closed.length;
    const t0 = Date.now();
    const error = await http.post('http://user-service/hang', { a: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AttemptTimeoutError);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(95);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(closed.length).toBe(before + 1);
    expect(lb.status().services[0].instances[0].inFlight).toBe(0);
  });

  it("the caller's cancel aborts the request at once", async () => {
    const { http } = client({});
    const controller = new AbortController();
    const before = closed.length;
    const call = http.get('http://user-service/hang', { signal: controller.signal }).catch((e: unknown) => e);
    setTimeout(() => controller.abort(), 50);
    expect(axios.isCancel(await call)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(closed.length).toBe(before + 1);
  });

  it("a caller's CancelToken (HttpService's cancel) aborts axios's own request at once, with the token's reason, counted against the instance and not retried", async () => {
    const { lb, http } = client({});
    const source = axios.CancelToken.source();
    const before = closed.length;
    const t0 = Date.now();
    const call = http.get('http://user-service/hang', { cancelToken: source.token }).catch((e: unknown) => e);
    setTimeout(() => source.cancel('caller gave up'), 30);
    const error = await call;
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(error).toBe(source.token.reason);
    expect((error as Error).message).toBe('caller gave up');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(closed.length).toBe(before + 1);
    const [u1] = lb.status().services[0].instances;
    expect(u1.inFlight).toBe(0);
    expect(u1.consecutiveFailures).toBe(1);
  });

  it('a module adapter gets a real AbortSignal per attempt, on a copy of the config, aborted at the deadline', async () => {
    const seen: InternalAxiosRequestConfig[] = [];
    const next: AxiosAdapter = (config) => {
      seen.push(config);
      return new Promise(() => undefined);
    };
    const { http } = client({ attemptTimeoutMs: 50 }, next);
    const error = await http.post('http://user-service/users', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AttemptTimeoutError);
    expect(seen).toHaveLength(1);
    expect(seen[0].signal).toBeInstanceOf(AbortSignal);
    expect((seen[0].signal as AbortSignal).aborted).toBe(true);
    expect(seen[0].url).toBe(`http://127.0.0.1:${port}/users`);
  });

  it('an idempotent GET past its deadline is tried again, each attempt with a signal of its own', async () => {
    const signals: unknown[] = [];
    const next: AxiosAdapter = (config) => {
      signals.push(config.signal);
      return new Promise(() => undefined);
    };
    const { http } = client({ attemptTimeoutMs: 30 }, next);
    await expect(http.get('http://user-service/users/1')).rejects.toBeInstanceOf(AttemptTimeoutError);
    expect(signals).toHaveLength(3);
    expect(new Set(signals).size).toBe(3);
  });

  it('a module adapter that throws fails the call with what it threw, and the instance has no call left in flight', async () => {
    const thrown = new Error('bad adapter');
    const next: AxiosAdapter = () => {
      throw thrown;
    };
    const { lb, http } = client({}, next);
    await expect(http.get('http://user-service/users/1')).rejects.toBe(thrown);
    expect(lb.status().services[0].instances[0].inFlight).toBe(0);
  });

  it("a caller's cancel fails with a CanceledError whose config is the request's, counted against the instance", async () => {
    const { lb, http } = client({});
    const controller = new AbortController();
    const call = http.get('http://user-service/hang', { signal: controller.signal }).catch((e: unknown) => e);
    setTimeout(() => controller.abort(), 30);
    const error = (await call) as InstanceType<typeof axios.CanceledError>;
    expect(error).toBeInstanceOf(axios.CanceledError);
    expect(error.config).toBeDefined();
    expect(error.config!.url).toBe(`http://127.0.0.1:${port}/hang`);
    expect(error.request).toBeUndefined();
    const [u1] = lb.status().services[0].instances;
    expect(u1.inFlight).toBe(0);
    expect(u1.consecutiveFailures).toBe(1);
  });
});
