import axios, { AxiosAdapter, InternalAxiosRequestConfig } from 'axios';
import type { BalancedInstance } from '../core/balancing/balanced-instance';
import type { LoadBalancer } from '../core/balancing/load-balancer';
import { failureKind, ResolvedHttpRetry } from './http-retry';
import { fullUrl, parseServiceUrl } from './service-url';

/**
 * An axios adapter that sends `http://<service>/path` to a picked instance of the service, through
 * `next` (axios's own adapter by default). A failure with no answer counts against the instance
 * (passive health) and is retried on another instance when it is safe: a refused connection
 * always, a reset or a timeout for idempotent methods only, within `retry.attempts` and
 * `retry.budgetMs`. An HTTP answer (even 5xx) is the instance's answer: returned as is, not retried.
 */
export function balancedAdapter(balancer: () => LoadBalancer, retry: ResolvedHttpRetry, next?: AxiosAdapter): AxiosAdapter {
  return async (config: InternalAxiosRequestConfig) => {
    const send = next ?? axios.getAdapter(axios.defaults.adapter, config);
    const { service, rest } = parseServiceUrl(fullUrl(config.baseURL, config.url));
    const lb = balancer();
    const idempotent = retry.idempotentMethods.includes((config.method ?? 'get').toUpperCase());
    const began = Date.now();
    const tried = new Set<string>();
    for (let attempt = 1; ; attempt++) {
      const target: BalancedInstance = lb.pick(service, tried);
      tried.add(target.key);
      lb.started(target);
      const t0 = Date.now();
      try {
        const response = await send({ ...config, baseURL: undefined, url: `${target.address}${rest}` });
        lb.finished(target, { ok: true, latencyMs: Date.now() - t0 });
        return response;
      } catch (error) {
        const kind = failureKind(error);
        lb.finished(target, kind === 'answered' || kind === 'other' ? { ok: true, latencyMs: Date.now() - t0 } : { ok: false });
        const safe = kind === 'not-sent' || (kind === 'maybe-sent' && idempotent);
        if (!safe || attempt >= retry.attempts || Date.now() - began >= retry.budgetMs) throw error;
      }
    }
  };
}
