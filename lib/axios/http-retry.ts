import { RegistryOptionsError } from '../core/errors';
import { httpMessages } from './messages';

/** A list of HTTP statuses, or a predicate on the status. */
export type HttpStatusMatch = readonly number[] | ((status: number) => boolean);

export interface HttpRetryOptions {
  /** Tries per call, the first included. Default 3. */
  attempts?: number | undefined;
  /** No retry starts once this long has passed since the call began, ms. Default 3000 (the call's own end is `deadlineMs`). */
  budgetMs?: number | undefined;
  /**
   * Methods retried after a failure that may have reached the instance (connection reset, the
   * attempt's deadline) or a retryable status. Default the idempotent ones: GET, HEAD, OPTIONS, PUT,
   * DELETE. A connection that was refused (nothing sent) is retried whatever the method.
   */
  idempotentMethods?: readonly string[] | undefined;
  /**
   * Answers retried on another instance, for idempotent methods only (like Spring Cloud
   * LoadBalancer's retryable status codes). Default 502, 503, 504 (the instance or what is before it
   * could not serve; another one may).
   */
  statuses?: HttpStatusMatch | undefined;
}

/** Which answers count as failures of the instance (passive health; see `ejection.consecutiveErrors`). */
export interface HttpFailureOptions {
  /** Default every 5xx (Envoy's consecutive_5xx). `[]` counts no answer as a failure. */
  statuses?: HttpStatusMatch | undefined;
}

export interface ResolvedHttpRetry {
  attempts: number;
  budgetMs: number;
  idempotentMethods: readonly string[];
  /** Whether an answer with this status is retried (idempotent methods only). */
  retryStatus: (status: number) => boolean;
  /** Whether an answer with this status is a failure of the instance. */
  failureStatus: (status: number) => boolean;
}

export const DEFAULT_HTTP_RETRY = {
  attempts: 3,
  budgetMs: 3000,
  idempotentMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'] as readonly string[],
  statuses: [502, 503, 504] as readonly number[],
};

/** Every 5xx. */
export const DEFAULT_HTTP_FAILURE_STATUSES = (status: number): boolean => status >= 500 && status <= 599;

export function resolveHttpRetry(options: HttpRetryOptions = {}, failures: HttpFailureOptions = {}): ResolvedHttpRetry {
  const attempts = options.attempts ?? DEFAULT_HTTP_RETRY.attempts;
  const budgetMs = options.budgetMs ?? DEFAULT_HTTP_RETRY.budgetMs;
  if (!Number.isInteger(attempts) || attempts < 1)
    throw new RegistryOptionsError('retry.attempts', httpMessages.retryOption('attempts', attempts));
  if (!Number.isInteger(budgetMs) || budgetMs < 0)
    throw new RegistryOptionsError('retry.budgetMs', httpMessages.retryOption('budgetMs', budgetMs));
  return {
    attempts,
    budgetMs,
    idempotentMethods: (options.idempotentMethods ?? DEFAULT_HTTP_RETRY.idempotentMethods).map((m) => m.toUpperCase()),
    retryStatus: statusMatch('retry.statuses', options.statuses ?? DEFAULT_HTTP_RETRY.statuses),
    failureStatus: statusMatch('failures.statuses', failures.statuses ?? DEFAULT_HTTP_FAILURE_STATUSES),
  };
}

function statusMatch(option: string, match: HttpStatusMatch): (status: number) => boolean {
  if (typeof match === 'function') return match;
  if (!Array.isArray(match) || !match.every((s) => Number.isInteger(s) && s >= 100 && s <= 599))
    throw new RegistryOptionsError(option, httpMessages.statusOption(option, match));
  const set = new Set(match);
  return (status) => set.has(status);
}

/** The request never reached the instance: safe to send elsewhere whatever the method. */
const NOT_SENT = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN']);
/** The connection failed after the request may have been sent. */
const MAYBE_SENT = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'ERR_SOCKET_CONNECTION_TIMEOUT']);

export type FailureKind = 'not-sent' | 'maybe-sent' | 'answered' | 'cancelled' | 'other';

/**
 * How an attempt failed: no answer at all (not sent / maybe sent, axios's own `timeout` included),
 * an HTTP answer, a cancel (an AbortSignal, a CancelToken, an unsubscribe of HttpService's
 * Observable), or something else (bad input).
 */
export function httpFailureKind(error: unknown): FailureKind {
  const e = error as { code?: string; response?: unknown; cause?: { code?: string }; __CANCEL__?: boolean; name?: string };
  if (e?.response) return 'answered';
  if (e?.__CANCEL__ === true || e?.code === 'ERR_CANCELED' || e?.name === 'CanceledError') return 'cancelled';
  const code = e?.code ?? e?.cause?.code;
  if (code && NOT_SENT.has(code)) return 'not-sent';
  if (code && MAYBE_SENT.has(code)) return 'maybe-sent';
  return 'other';
}
