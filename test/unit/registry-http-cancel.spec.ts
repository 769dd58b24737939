import { HttpService } from '@nestjs/axios';
import axios, { AxiosAdapter, CancelTokenSource, InternalAxiosRequestConfig } from 'axios';
import { firstValueFrom } from 'rxjs';
import { RegistryHttpService } from '../../lib/axios';
import { fleetOf, instance } from '../support/instance-fixtures';

/**
 * RegistryHttpService cancels a request when the caller unsubscribes before its answer, and not
 * after it (HttpService of @nestjs/axios cancels after every finished call, building an error that
 * nothing reads). A fake adapter stands for the network: what is checked is the cancel token.
 */
describe('RegistryHttpService: the caller cancel', () => {
  let sources: CancelTokenSource[];
  let source: jest.SpyInstance;
  beforeEach(() => {
    sources = [];
    const original = axios.CancelToken.source.bind(axios.CancelToken);
    source = jest.spyOn(axios.CancelToken, 'source').mockImplementation(() => {
      const made = original();
      sources.push(made);
      return made;
    });
  });
  afterEach(() => source.mockRestore());

  /** Answers at once, or never until the request's cancel token fires (then rejects with its reason). */
  const adapter: AxiosAdapter = (config: InternalAxiosRequestConfig) =>
    config.url!.endsWith('/hang')
      ? new Promise((_, reject) => config.signal?.addEventListener?.('abort', () => reject(new Error('aborted by the attempt'))))
      : Promise.resolve({ data: { ok: true }, status: 200, statusText: 'OK', headers: {}, config });

  function service(): RegistryHttpService {
    const http = RegistryHttpService.create({ adapter }, undefined);
    http.loadBalancer.apply(fleetOf(instance('user-service', 'u1', { address: '10.0.0.1:80', endpoints: ['http://10.0.0.1:80'] })));
    return http;
  }

  it('a finished call cancels nothing', async () => {
    const res = await firstValueFrom(service().get('http://user-service/users/1'));
    expect(res.data).toEqual({ ok: true });
    expect(sources).toHaveLength(1);
    expect(sources[0].token.reason).toBeUndefined();
  });

  it('unsubscribing before the answer cancels the request (the attempt is aborted and counted as a failure)', async () => {
    const http = service();
    const seen: unknown[] = [];
    const subscription = http.get('http://user-service/hang').subscribe({ next: (v) => seen.push(v), error: (e) => seen.push(e) });
    expect(http.loadBalancer.status().services[0].instances[0].inFlight).toBe(1);
    subscription.unsubscribe();
    expect(sources[0].token.reason).toBeDefined();
    await new Promise((resolve) => setImmediate(resolve));
    expect(http.loadBalancer.status().services[0].instances[0]).toMatchObject({ inFlight: 0, consecutiveFailures: 1 });
    expect(seen).toEqual([]); // the caller gave up: nothing more reaches it
  });

  it('HttpService of @nestjs/axios still cancels after a finished call (drop the override when it no longer does)', async () => {
    const plain = new HttpService(axios.create({ adapter }));
    await firstValueFrom(plain.get('http://10.0.0.1/users/1'));
    expect(sources).toHaveLength(1);
    expect(sources[0].token.reason).toBeDefined();
  });
});
