import { RegistryOptionsError } from '../core/errors';
import { httpMessages } from './messages';

export interface HttpRetryOptions {
  /** Tries per call, the first included. Default 3. */
  attempts?: number;
  /** No retry starts once this long has passed since the call began, ms. Default 3000. */
  budgetMs?: number;
  /**
   * Methods retried after a failure that may have reached the instance (connection reset, timeout).
   * Default the idempotent ones: GET, HEAD, OPTIONS, PUT, DELETE. A connection that was refused
   * (nothing sent) is retried whatever the method.
   */
  idempotentMethods?: readonly string[];
}

export type ResolvedHttpRetry = Required<HttpRetryOptions>;

export const DEFAULT_HTTP_RETRY: ResolvedHttpRetry = {
  attempts: 3,
  budgetMs: 3000,
  idempotentMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'],
};

export function resolveHttpRetry(options: HttpRetryOptions = {}): ResolvedHttpRetry {
  const r = {
    ...DEFAULT_HTTP_RETRY,
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
  } as ResolvedHttpRetry;
  if (!Number.isInteger(r.attempts) || r.attempts < 1)
    throw new RegistryOptionsError('retry.attempts', httpMessages.retryOption('attempts', r.attempts));
  if (!Number.isInteger(r.budgetMs) || r.budgetMs < 0)
    throw new RegistryOptionsError('retry.budgetMs', httpMessages.retryOption('budgetMs', r.budgetMs));
  return { ...r, idempotentMethods: r.idempotentMethods.map((m) => m.toUpperCase()) };
}

/** The request never reached the instance: safe to send elsewhere whatever the method. */
const NOT_SENT = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN']);
/** The connection failed after the request may have been sent. */
const MAYBE_SENT = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'ERR_SOCKET_CONNECTION_TIMEOUT']);

export type FailureKind = 'not-sent' | 'maybe-sent' | 'answered' | 'other';

/** How an attempt failed: no answer at all (not sent / maybe sent), an HTTP answer, or something else (cancel, bad input). */
export function failureKind(error: unknown): FailureKind {
  const e = error as { code?: string; response?: unknown; cause?: { code?: string } };
  if (e?.response) return 'answered';
  const code = e?.code ?? e?.cause?.code;
  if (code && NOT_SENT.has(code)) return 'not-sent';
  if (code && MAYBE_SENT.has(code)) return 'maybe-sent';
  return 'other';
}
