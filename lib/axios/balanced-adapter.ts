import axios, { AxiosAdapter, AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import type { BalancedInstance } from '../core/balancing/balanced-instance';
import { AttemptTimeoutError, CallDeadlineError } from '../core/balancing/balancing.errors';
import { attemptBudgetMs, DEFAULT_CALL_DEADLINES, ResolvedCallDeadlines } from '../core/balancing/call-deadlines';
import type { LoadBalancer } from '../core/balancing/load-balancer';
import { balancingMessages } from '../core/balancing/messages';
import { Deadline, DeadlineQueue } from '../core/deadline-queue';
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
  // The attempts' deadlines, on one timer (they share attemptTimeoutMs, so they come due in order).
  const attemptDeadlines = new DeadlineQueue();
  const inner = innerAdapter(next);
  return async (config: InternalAxiosRequestConfig) => {
    const send = inner(config);
    const ownHttp = send === httpAdapter();
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
      const result = await runAttempt(send, ownHttp, config, `${target.address}${rest}`, budget, attemptDeadlines);
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

let ownHttpAdapter: AxiosAdapter | null | undefined;

/** axios's own http adapter (null where axios has none). */
function httpAdapter(): AxiosAdapter | null {
  if (ownHttpAdapter === undefined) {
    try {
      ownHttpAdapter = axios.getAdapter('http');
    } catch {
      ownHttpAdapter = null;
    }
  }
  return ownHttpAdapter;
}

/**
 * The adapter each attempt goes through: the module's `adapter` when given, else the one axios's
 * defaults resolve to, as `axios.getAdapter(axios.defaults.adapter, config)` on every call would
 * give. When that is axios's own http adapter (Node), whose choice does not depend on the config,
 * it is remembered for as long as `axios.defaults.adapter` stays the same value.
 */
function innerAdapter(next: AxiosAdapter | undefined): (config: InternalAxiosRequestConfig) => AxiosAdapter {
  if (next) return () => next;
  let resolvedFor: unknown;
  let resolved: AxiosAdapter | undefined;
  return (config) => {
    const defaults = axios.defaults.adapter;
    if (resolved && defaults === resolvedFor) return resolved;
    const adapter = axios.getAdapter(defaults, config);
    if (adapter === httpAdapter()) {
      resolved = adapter;
      resolvedFor = defaults;
    } else {
      resolved = undefined;
    }
    return adapter;
  };
}

type AbortListener = (event: { type: 'abort'; target: AttemptSignal }) => void;

/**
 * The attempt's signal handed to axios's own http adapter: exactly the part of AbortSignal that
 * adapter uses (`aborted`, `addEventListener('abort')`, `removeEventListener`), and `reason`.
 *
 * Why not an AbortController: axios adds and removes an `abort` listener on the signal of every
 * request, and with a real AbortSignal that costs about 17 us of CPU per call on Node 20 (measured
 * with bench/overhead-micro.ts against a plain HttpService: 172 vs 155 us per loopback call), about
 * half of the wing's whole overhead. A module `adapter` of the user's, or any adapter other than
 * axios's http one, still gets a real AbortController's signal per attempt: it may pass the signal
 * to fetch() or to Node's APIs, which want the real thing.
 */
class AttemptSignal {
  aborted = false;
  reason: unknown = undefined;
  private listeners: AbortListener[] | undefined;

  addEventListener(type: string, listener: AbortListener): void {
    if (type !== 'abort' || this.aborted) return;
    (this.listeners ??= []).push(listener);
  }

  removeEventListener(type: string, listener: AbortListener): void {
    const listeners = this.listeners;
    if (type !== 'abort' || !listeners) return;
    const i = listeners.indexOf(listener);
    if (i >= 0) listeners.splice(i, 1);
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = new DOMException('This operation was aborted', 'AbortError');
    const listeners = this.listeners;
    this.listeners = undefined;
    for (const listener of listeners ?? []) listener.call(this, { type: 'abort', target: this });
  }
}

/**
 * Sends one attempt to `url` with its own abort signal (see AttemptSignal), aborted when
 * `budgetMs` passes or the caller cancels (the config's `signal` or `cancelToken`, which
 * HttpService sets and cancels on unsubscribe). Settles at once on either, also with an adapter
 * that ignores the signal. The deadline is an entry of the adapter's DeadlineQueue, not a timer
 * of its own.
 *
 * To axios's own http adapter the attempt is sent with the request's own config object, not a
 * copy: axios builds that object for this request alone, and a spread of it costs 3-6 us per
 * attempt (it has many keys, some undefined). That adapter reads `url`, `baseURL` and `signal`
 * synchronously when it starts, so a later attempt changing them cannot reach an earlier one.
 * `url` and `baseURL` are set to the target (what `response.config` and `error.config` show, as
 * with a copy); `signal` and `cancelToken` are set to the attempt's and put back when the attempt
 * settles, so axios's own check after the adapter (a cancel by the caller as the answer came) sees
 * the caller's, as it always did. Any other adapter (a module `adapter`) may read the config later,
 * so it gets a copy per attempt, as before.
 */
function runAttempt(
  send: AxiosAdapter,
  ownHttp: boolean,
  config: InternalAxiosRequestConfig,
  url: string,
  budgetMs: number,
  deadlines: DeadlineQueue,
): Promise<Attempt> {
  const controller = ownHttp ? new AttemptSignal() : new AbortController();
  const signal = ownHttp ? (controller as AttemptSignal) : (controller as AbortController).signal;
  const { signal: userSignal, cancelToken } = config;
  return new Promise<Attempt>((resolve) => {
    let deadline: Deadline | undefined;
    const cleanup = () => {
      deadline?.cancel();
      (userSignal as AbortSignal | undefined)?.removeEventListener?.('abort', onUserAbort);
      cancelToken?.unsubscribe(onCancelToken);
    };
    const done = (a: Attempt) => {
      cleanup();
      config.signal = userSignal;
      config.cancelToken = cancelToken;
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
    if (Number.isFinite(budgetMs)) deadline = deadlines.add(budgetMs, () => abort({ kind: 'timeout' }));
    let sent: Promise<AxiosResponse>;
    if (ownHttp) {
      config.baseURL = undefined;
      config.url = url;
      config.signal = signal;
      config.cancelToken = undefined;
      try {
        sent = send(config);
      } catch (error) {
        // Thrown, not rejected: rejects the attempt as it always did, with the caller's config put back.
        cleanup();
        config.signal = userSignal;
        config.cancelToken = cancelToken;
        throw error;
      }
    } else {
      sent = send({ ...config, baseURL: undefined, url, signal, cancelToken: undefined });
    }
    sent.then(
      (response) => done({ kind: 'response', response }),
      (error: unknown) => done({ kind: 'error', error }),
    );
  });
}
