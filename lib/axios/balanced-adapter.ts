import axios, { AxiosAdapter, AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import type { BalancedInstance } from '../core/balancing/balanced-instance';
import { AttemptTimeoutError, CallDeadlineError } from '../core/balancing/balancing.errors';
import { attemptBudgetMs, DEFAULT_CALL_DEADLINES, ResolvedCallDeadlines } from '../core/balancing/call-deadlines';
import type { LoadBalancer } from '../core/balancing/load-balancer';
import { balancingMessages } from '../core/balancing/messages';
import { failureKind, ResolvedHttpRetry } from './http-retry';
import { httpMessages } from './messages';
import { fullUrl, parseServiceUrl } from './service-url';

/** How one attempt ended. */
type Attempt =
  | { kind: 'response'; response: AxiosResponse }
  | { kind: 'error'; error: unknown }
  | { kind: 'timeout' }
  | { kind: 'cancelled'; error: unknown };

/**
 * An axios adapter that sends `http://<service>/path` to a picked instance of the service, through
 * `next` (axios's own adapter by default), each attempt within its deadline (`attemptTimeoutMs`) and
 * the call within its own (`deadlineMs`).
 *
 * Every attempt's outcome feeds passive health: no answer (refused, reset, past its deadline,
 * cancelled by the caller) and answers whose status is a failure (`failures.statuses`, every 5xx by
 * default) count against the instance. A call is retried on another instance when it is safe: a
 * refused connection always; a reset, a deadline or a retryable status (`retry.statuses`) for
 * idempotent methods only; within `retry.attempts`, `retry.budgetMs` and `deadlineMs`. A cancel by
 * the caller is never retried. A non-idempotent attempt past its deadline fails with
 * AttemptTimeoutError naming the instance.
 */
export function balancedAdapter(
  balancer: () => LoadBalancer,
  retry: ResolvedHttpRetry,
  next?: AxiosAdapter,
  deadlines: ResolvedCallDeadlines = DEFAULT_CALL_DEADLINES,
): AxiosAdapter {
  return async (config: InternalAxiosRequestConfig) => {
    const send = next ?? axios.getAdapter(axios.defaults.adapter, config);
    const { service, rest } = parseServiceUrl(fullUrl(config.baseURL, config.url));
    const lb = balancer();
    const method = (config.method ?? 'get').toUpperCase();
    const idempotent = retry.idempotentMethods.includes(method);
    const began = Date.now();
    const tried = new Set<string>();
    for (let attempt = 1; ; attempt++) {
      const budget = attemptBudgetMs(deadlines, began, Date.now());
      if (budget <= 0) throw deadlineError(service, deadlines, tried);
      const target: BalancedInstance = lb.pick(service, tried);
      tried.add(target.key);
      lb.started(target);
      const t0 = Date.now();
      const result = await runAttempt(send, { ...config, baseURL: undefined, url: `${target.address}${rest}` }, budget);
      const latencyMs = Date.now() - t0;
      const canRetry = () =>
        attempt < retry.attempts && Date.now() - began < retry.budgetMs && attemptBudgetMs(deadlines, began, Date.now()) > 0;
      if (result.kind === 'response' || (result.kind === 'error' && failureKind(result.error) === 'answered')) {
        const status = result.kind === 'response' ? result.response.status : (result.error as { response: AxiosResponse }).response.status;
        const failed = retry.failureStatus(status);
        lb.finished(target, failed ? { ok: false, answered: true, latencyMs } : { ok: true, latencyMs });
        if (idempotent && retry.retryStatus(status) && canRetry()) continue;
        if (result.kind === 'response') return result.response;
        throw result.error;
      }
      if (result.kind === 'cancelled') {
        lb.finished(target, { ok: false, latencyMs });
        throw result.error;
      }
      if (result.kind === 'timeout') {
        lb.finished(target, { ok: false, latencyMs });
        if (idempotent && canRetry()) continue;
        if (attemptBudgetMs(deadlines, began, Date.now()) <= 0) throw deadlineError(service, deadlines, tried);
        throw new AttemptTimeoutError(
          service,
          target.key,
          target.address,
          budget,
          balancingMessages.attemptTimeout(
            service,
            target.key,
            target.address,
            budget,
            idempotent ? httpMessages.noRetryLeft() : httpMessages.notIdempotent(method),
          ),
        );
      }
      const kind = failureKind(result.error);
      if (kind === 'other') lb.finished(target, { ok: true });
      else lb.finished(target, { ok: false, latencyMs });
      const safe = kind === 'not-sent' || (kind === 'maybe-sent' && idempotent);
      if (!safe || !canRetry()) throw result.error;
    }
  };
}

function deadlineError(service: string, deadlines: ResolvedCallDeadlines, tried: Set<string>): CallDeadlineError {
  return new CallDeadlineError(
    service,
    deadlines.deadlineMs,
    [...tried],
    balancingMessages.callDeadline(service, deadlines.deadlineMs, [...tried]),
  );
}

/**
 * Sends one attempt with its own AbortSignal, aborted when `budgetMs` passes or the caller cancels
 * (the config's `signal` or `cancelToken`, which HttpService sets and cancels on unsubscribe).
 * Settles at once on either, also with an adapter that ignores the signal.
 */
function runAttempt(send: AxiosAdapter, config: InternalAxiosRequestConfig, budgetMs: number): Promise<Attempt> {
  const controller = new AbortController();
  const { signal: userSignal, cancelToken } = config;
  return new Promise<Attempt>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const cleanup = () => {
      clearTimeout(timer);
      (userSignal as AbortSignal | undefined)?.removeEventListener?.('abort', onUserAbort);
      cancelToken?.unsubscribe(onCancelToken);
    };
    const done = (a: Attempt) => {
      cleanup();
      resolve(a);
    };
    const abort = (a: Attempt) => {
      done(a);
      controller.abort();
    };
    function onUserAbort() {
      abort({ kind: 'cancelled', error: new axios.CanceledError(undefined, undefined, config) });
    }
    function onCancelToken(reason: unknown) {
      abort({ kind: 'cancelled', error: reason ?? new axios.CanceledError(undefined, undefined, config) });
    }
    if ((userSignal as AbortSignal | undefined)?.aborted) return onUserAbort();
    if (cancelToken?.reason) return onCancelToken(cancelToken.reason);
    (userSignal as AbortSignal | undefined)?.addEventListener?.('abort', onUserAbort);
    cancelToken?.subscribe(onCancelToken);
    if (Number.isFinite(budgetMs)) timer = setTimeout(() => abort({ kind: 'timeout' }), budgetMs);
    send({ ...config, signal: controller.signal, cancelToken: undefined }).then(
      (response) => done({ kind: 'response', response }),
      (error: unknown) => done({ kind: 'error', error }),
    );
  });
}
