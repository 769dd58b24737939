import { HttpService } from '@nestjs/axios';
import { Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import axios, { AxiosPromise, AxiosRequestConfig, AxiosResponse, CancelTokenSource } from 'axios';
import { Observable } from 'rxjs';
import { LoadBalancer, LoadBalancerStatus } from '../core/balancing/load-balancer';
import { resolveCallDeadlines } from '../core/balancing/call-deadlines';
import { endpointAddressing } from '../core/balancing/transport-address';
import { RegistryOptionsError } from '../core/errors';
import type { RegistryService } from '../service/registry.service';
import { balancedAdapter } from './balanced-adapter';
import { resolveHttpRetry } from './http-retry';
import { httpMessages } from './messages';
import type { RegistryHttpModuleOptions } from './registry-http-options.interface';

/** HTTP endpoints first (`http://` or `https://`), else the plain address of formats without endpoints. */
export const HTTP_ADDRESSING = endpointAddressing('http', ['http', 'https'], { origin: true });

/**
 * @nestjs/axios's HttpService that calls services by name: `get('http://user-service/users/1')`
 * goes to a picked, live instance of `user-service`, each attempt within `attemptTimeoutMs` (2000 by
 * default) and the call within `deadlineMs` (5000), retried on another instance when that is safe
 * (see balancedAdapter and RegistryHttpModuleOptions.retry). Its balancer's `status()` and
 * `events` (`instance-ejected`, `instance-restored`, `instance-left`) are here too.
 */
export class RegistryHttpService extends HttpService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('RegistryHttp');

  constructor(
    /** The balancer behind the calls, fed by a watch of the services' prefix from onModuleInit. */
    readonly loadBalancer: LoadBalancer,
    private readonly registry: RegistryService | undefined,
    options: RegistryHttpModuleOptions,
  ) {
    super(
      axios.create({
        ...options.axios,
        adapter: balancedAdapter(
          () => loadBalancer,
          resolveHttpRetry(options.retry, options.failures),
          options.adapter,
          resolveCallDeadlines(options),
        ),
      }),
    );
    loadBalancer.events.on('instance-ejected', (e) =>
      this.logger.warn(`ejected ${e.key} (${e.address}) for ${e.forMs} ms after ${e.failures} failed calls`),
    );
    loadBalancer.events.on('instance-restored', (e) => this.logger.log(`${e.key} (${e.address}) is back (${e.reason})`));
  }

  /**
   * HttpService's own, but for one thing: the request is cancelled when the caller unsubscribes
   * before its answer, and not after it. HttpService cancels after every finished call too, which
   * builds a CanceledError with its stack that nothing reads: about 10 us of CPU per call, more than
   * this wing's own adapter costs (BENCHMARKS.md, figure 9). @nestjs/axios 3, 4 and 12 have the
   * same makeObservable; a stream response is never cancelled, as there.
   */
  protected override makeObservable<T>(request: (...args: unknown[]) => AxiosPromise<T>, ...args: unknown[]): Observable<AxiosResponse<T>> {
    return new Observable<AxiosResponse<T>>((subscriber) => {
      const argsCopy = [...args];
      const configIdx = argsCopy.length - 1;
      const config: AxiosRequestConfig = { ...((argsCopy[configIdx] as AxiosRequestConfig | undefined) ?? {}) };
      argsCopy[configIdx] = config;
      let cancelSource: CancelTokenSource | undefined;
      if (!config.cancelToken) {
        cancelSource = axios.CancelToken.source();
        config.cancelToken = cancelSource.token;
      }
      let answered = false;
      request(...argsCopy)
        .then((res) => {
          answered = true;
          subscriber.next(res);
          subscriber.complete();
        })
        .catch((err: unknown) => {
          answered = true;
          subscriber.error(err);
        });
      return () => {
        if (!answered && config.responseType !== 'stream') cancelSource?.cancel();
      };
    });
  }

  /** Builds it from the module's options; a bad option throws here, so the start fails, not the first call. */
  static create(options: RegistryHttpModuleOptions, registry: RegistryService | undefined): RegistryHttpService {
    return new RegistryHttpService(new LoadBalancer({ ...options, transport: HTTP_ADDRESSING }), registry, options);
  }

  /** Per service called so far: its instances, calls in flight, and which are ejected until when. */
  status(): LoadBalancerStatus {
    return this.loadBalancer.status();
  }

  /** `instance-ejected`, `instance-restored`, `instance-left` (see BalancerEventMap). */
  get events(): LoadBalancer['events'] {
    return this.loadBalancer.events;
  }

  /** Starts the watch of the services' prefix; the first map is in once it resolves. */
  async onModuleInit(): Promise<void> {
    if (!this.registry) throw new RegistryOptionsError('EtcdRegistryModule', httpMessages.noRegistry());
    await this.loadBalancer.follow(this.registry);
  }

  async onModuleDestroy(): Promise<void> {
    await this.loadBalancer.close();
  }
}
