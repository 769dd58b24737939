import axios, { AxiosAdapter, AxiosResponse, CancelToken, GenericAbortSignal, InternalAxiosRequestConfig } from 'axios';
import type { BalancedInstance } from '../core/balancing/balanced-instance';
import { AttemptTimeoutError, CallDeadlineError } from '../core/balancing/balancing.errors';
import { attemptBudgetMs, DEFAULT_CALL_DEADLINES, ResolvedCallDeadlines } from '../core/balancing/call-deadlines';
import type { LoadBalancer } from '../core/balancing/load-balancer';
import { balancingMessages } from '../core/balancing/messages';
import { monotonicNow } from '../core/deadline';
import { Deadline, DeadlineQueue } from '../core/deadline-queue';
import { httpFailureKind, ResolvedHttpRetry } from './http-retry';
import { httpMessages } from './messages';
import { fullUrl, parseServiceUrl } from './service-url';

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
 * AttemptTimeoutError naming the instance. An adapter that throws instead of rejecting fails its
 * attempt as if it had rejected with what it threw.
 */
export function balancedAdapter(
  balancer: () => LoadBalancer,
  retry: ResolvedHttpRetry,
  next?: AxiosAdapter,
  deadlines: ResolvedCallDeadlines = DEFAULT_CALL_DEADLINES,
): AxiosAdapter {
  // The attempts' deadlines, on one timer (they share attemptTimeoutMs, so they come due in order).
  const shared: CallShared = {
    retry,
    deadlines,
    attemptDeadlines: new DeadlineQueue(),
    inner: innerAdapter(next),
    idempotentByMethod: new Map(),
  };
  return (config: InternalAxiosRequestConfig) =>
    new Promise<AxiosResponse>((resolve, reject) => new BalancedCall(shared, balancer, config, resolve, reject).start());
}

/** What every call of one adapter shares. */
interface CallShared {
  retry: ResolvedHttpRetry;
  deadlines: ResolvedCallDeadlines;
  attemptDeadlines: DeadlineQueue;
  inner: (config: InternalAxiosRequestConfig) => AxiosAdapter;
  /** Whether a method, as the config spells it (axios: lowercase), is in `retry.idempotentMethods`. */
  idempotentByMethod: Map<string, boolean>;
}

/**
 * One call through balancedAdapter, its attempts included: one object per call, whose attempts run
 * one after the other (the next one starts as the previous one's outcome is known, in the same
 * tick). The caller's cancel (the config's `signal` or `cancelToken`, which HttpService sets and
 * cancels on unsubscribe) is listened to while an attempt is in flight; the attempt's deadline is an
 * entry of the adapter's DeadlineQueue, not a timer of its own. An attempt settles at once on its
 * deadline or on the caller's cancel, also with an adapter that ignores the signal; what its request
 * does later is ignored.
 *
 * Each attempt gets its own abort signal: an AttemptSignal for axios's own http adapter, a real
 * AbortController's for any other (see AttemptSignal).
 *
 * To axios's own http adapter the attempt is sent with the request's own config object, not a
 * copy: axios builds that object for this request alone, and a spread of it costs 3-6 us per
 * attempt (it has many keys, some undefined). That adapter reads `url`, `baseURL` and `signal`
 * synchronously when it starts, so a later attempt changing them cannot reach an earlier one.
 * `url` and `baseURL` are set to the target (what `response.config` and `error.config` show, as
 * with a copy); `signal` is set to the attempt's and put back when the attempt settles, so axios's
 * own check after the adapter (a cancel by the caller as the answer came) sees the caller's, as it
 * always did. The caller's `cancelToken` stays on the config: that adapter listens to it itself and
 * rejects with the token's reason, which the attempt's outcome reads as the caller's cancel (a
 * failure, never retried), as it would read this class's own listener. Any other adapter (a module
 * `adapter`) may read the config later, so it gets a copy per attempt whose `cancelToken` is unset,
 * the caller's being listened to here.
 */
class BalancedCall {
  private readonly began = monotonicNow();
  private readonly userSignal: GenericAbortSignal | undefined;
  private readonly cancelToken: CancelToken | undefined;
  private service = '';
  private rest = '';
  private lb!: LoadBalancer;
  private send!: AxiosAdapter;
  private ownHttp = false;
  private idempotent = false;
  /** Keys tried before the current attempt's; made on the first retry. */
  private tried: Set<string> | undefined;
  private attempt = 0;
  /** The current attempt, while in flight. */
  private target: BalancedInstance | undefined;
  private budget = 0;
  private t0 = 0;
  private controller: AttemptSignal | AbortController | undefined;
  private deadline: Deadline | undefined;
  private onUserAbort: (() => void) | undefined;
  private onCancelToken: ((reason: unknown) => void) | undefined;
  private readonly onDeadline = () => this.abortAttempt(TIMEOUT);

  constructor(
    private readonly shared: CallShared,
    private readonly balancer: () => LoadBalancer,
    private readonly config: InternalAxiosRequestConfig,
    private readonly resolve: (response: AxiosResponse) => void,
    private readonly reject: (error: unknown) => void,
  ) {
    this.userSignal = config.signal;
    this.cancelToken = config.cancelToken;
  }

  /** Runs in the Promise's executor: a throw here rejects the call. */
  start(): void {
    const config = this.config;
    this.send = this.shared.inner(config);
    this.ownHttp = this.send === httpAdapter();
    const { service, rest } = parseServiceUrl(fullUrl(config.baseURL, config.url));
    this.service = service;
    this.rest = rest;
    this.lb = this.balancer();
    this.idempotent = isIdempotent(this.shared, config.method);
    this.nextAttempt();
  }

  private nextAttempt(): void {
    // The first attempt starts as the call began: one clock read fewer per call.
    const now = this.attempt === 0 ? this.began : monotonicNow();
    const budget = attemptBudgetMs(this.shared.deadlines, this.began, now);
    if (budget <= 0) return this.reject(this.deadlineError());
    const previous = this.target;
    if (previous) (this.tried ??= new Set()).add(previous.key);
    const target = this.lb.pick(this.service, this.tried);
    this.target = target;
    this.budget = budget;
    this.attempt++;
    this.lb.started(target);
    this.t0 = now;
    const userSignal = this.userSignal as AbortSignal | undefined;
    const cancelToken = this.cancelToken;
    if (userSignal?.aborted) return this.abortAttempt(this.cancelError(undefined));
    if (cancelToken?.reason) return this.abortAttempt(this.cancelError(cancelToken.reason));
    if (userSignal?.addEventListener)
      userSignal.addEventListener('abort', (this.onUserAbort ??= () => this.abortAttempt(this.cancelError(undefined))));
    // axios's own http adapter listens to the caller's token itself (see the class's doc).
    if (cancelToken && !this.ownHttp)
      cancelToken.subscribe((this.onCancelToken ??= (reason) => this.abortAttempt(this.cancelError(reason))));
    if (Number.isFinite(budget)) this.deadline = this.shared.attemptDeadlines.add(budget, this.onDeadline, now);
    const url = `${target.address}${this.rest}`;
    const attempt = this.attempt;
    let sent: Promise<AxiosResponse>;
    try {
      if (this.ownHttp) {
        const controller = new AttemptSignal();
        this.controller = controller;
        const config = this.config;
        // Only keys the config already has are written (a key added per call changes the object's shape for axios's code).
        if (config.baseURL !== undefined) config.baseURL = undefined;
        config.url = url;
        config.signal = controller;
        sent = this.send(config);
      } else {
        const controller = new AbortController();
        this.controller = controller;
        sent = this.send({ ...this.config, baseURL: undefined, url, signal: controller.signal, cancelToken: undefined });
      }
    } catch (error) {
      // Thrown, not rejected: the attempt failed with it, as with a rejection.
      return this.settled(attempt, error, true);
    }
    sent.then(
      (response) => this.settled(attempt, response, false),
      (error: unknown) => this.settled(attempt, error, true),
    );
  }

  /** Ends the attempt in flight: its deadline and listeners gone, the caller's signal and token back on the config. */
  private endAttempt(): void {
    this.deadline?.cancel();
    this.deadline = undefined;
    if (this.onUserAbort) (this.userSignal as AbortSignal).removeEventListener?.('abort', this.onUserAbort);
    if (this.onCancelToken) this.cancelToken!.unsubscribe(this.onCancelToken);
    if (this.ownHttp) this.config.signal = this.userSignal;
  }

  /** The attempt's deadline passed, or the caller cancelled: the attempt ends now, its request is aborted. */
  private abortAttempt(outcome: typeof TIMEOUT | CancelledOutcome): void {
    const controller = this.controller;
    this.controller = undefined;
    this.endAttempt();
    controller?.abort();
    const target = this.target!;
    const latencyMs = monotonicNow() - this.t0;
    this.lb.finished(target, { ok: false, latencyMs });
    if (outcome !== TIMEOUT) return this.reject(outcome.error);
    this.guard(() => {
      if (this.idempotent && this.canRetry()) return this.nextAttempt();
      if (attemptBudgetMs(this.shared.deadlines, this.began, monotonicNow()) <= 0) return this.reject(this.deadlineError());
      const { service, budget, idempotent } = this;
      this.reject(
        new AttemptTimeoutError(
          service,
          target.key,
          target.address,
          budget,
          balancingMessages.attemptTimeout(
            service,
            target.key,
            target.address,
            budget,
            idempotent ? httpMessages.noRetryLeft() : httpMessages.notIdempotent(upperMethod(this.config.method)),
          ),
        ),
      );
    });
  }

  /** The attempt's request answered or failed (ignored when that attempt has already ended). */
  private settled(attempt: number, value: unknown, failed: boolean): void {
    if (attempt !== this.attempt || this.controller === undefined) return;
    this.controller = undefined;
    this.endAttempt();
    const latencyMs = monotonicNow() - this.t0;
    const target = this.target!;
    this.guard(() => {
      const kind = failed ? httpFailureKind(value) : 'answered';
      if (kind === 'answered') {
        const status = failed ? (value as { response: AxiosResponse }).response.status : (value as AxiosResponse).status;
        const retry = this.shared.retry;
        this.lb.finished(target, retry.failureStatus(status) ? { ok: false, answered: true, latencyMs } : { ok: true, latencyMs });
        if (this.idempotent && retry.retryStatus(status) && this.canRetry()) return this.nextAttempt();
        return failed ? this.reject(value) : this.resolve(value as AxiosResponse);
      }
      if (kind === 'other') this.lb.finished(target, { ok: true });
      else this.lb.finished(target, { ok: false, latencyMs });
      const safe = kind === 'not-sent' || (kind === 'maybe-sent' && this.idempotent);
      if (safe && this.canRetry()) return this.nextAttempt();
      this.reject(value);
    });
  }

  /** Runs the outcome's handling; a throw in it (a status predicate of the user's, a pick that finds no instance) fails the call. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.reject(error);
    }
  }

  private canRetry(): boolean {
    const now = monotonicNow();
    const retry = this.shared.retry;
    return (
      this.attempt < retry.attempts && now - this.began < retry.budgetMs && attemptBudgetMs(this.shared.deadlines, this.began, now) > 0
    );
  }

  /** The caller's cancel: the token's reason when it has one, else a CanceledError with the request's config. */
  private cancelError(reason: unknown): CancelledOutcome {
    return { error: reason ?? new axios.CanceledError(undefined, this.config) };
  }

  private deadlineError(): CallDeadlineError {
    const tried = this.tried ? [...this.tried] : [];
    if (this.target && !this.tried?.has(this.target.key)) tried.push(this.target.key);
    return deadlineError(this.service, this.shared.deadlines, tried);
  }
}

function upperMethod(method: string | undefined): string {
  return method ? method.toUpperCase() : 'GET';
}

/** `retry.idempotentMethods.includes(METHOD)`, remembered per spelling (a few at most; bounded all the same). */
function isIdempotent(shared: CallShared, method: string | undefined): boolean {
  const key = method ?? '';
  let idempotent = shared.idempotentByMethod.get(key);
  if (idempotent === undefined) {
    idempotent = shared.retry.idempotentMethods.includes(upperMethod(method));
    if (shared.idempotentByMethod.size < 64) shared.idempotentByMethod.set(key, idempotent);
  }
  return idempotent;
}

const TIMEOUT = Symbol('timeout');
interface CancelledOutcome {
  error: unknown;
}

function deadlineError(service: string, deadlines: ResolvedCallDeadlines, tried: string[]): CallDeadlineError {
  return new CallDeadlineError(service, deadlines.deadlineMs, tried, balancingMessages.callDeadline(service, deadlines.deadlineMs, tried));
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
