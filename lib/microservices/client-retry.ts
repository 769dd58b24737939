import { RegistryOptionsError } from '../core/errors';
import { clientMessages } from './messages';

/** A predicate on an error an instance answered (what the caller's Observable errors with) and the call's pattern. */
export type RpcErrorMatch = (error: unknown, pattern: unknown) => boolean;

export interface ClientRetryOptions {
  /** Tries per call, the first included. Default 3. */
  attempts?: number | undefined;
  /** No retry starts once this long has passed since the call began, ms. Default 3000 (the call's own end is `deadlineMs`). */
  budgetMs?: number | undefined;
  /**
   * Whether a `send` that may have reached the instance (its connection dropped, or the attempt
   * passed its deadline) is sent again to another instance: true for every pattern, or a function
   * of the pattern. Default false (a refused connection, where nothing was sent, is always retried).
   */
  idempotent?: boolean | ((pattern: unknown) => boolean) | undefined;
  /** Error answers retried on another instance, for idempotent patterns only. Default none. */
  errors?: RpcErrorMatch | undefined;
}

/** Which error answers count as failures of the instance (passive health; see `ejection.consecutiveErrors`). */
export interface ClientFailureOptions {
  /**
   * Default: Nest's answer to an exception that is not an RpcException, `{ status: 'error', message:
   * 'Internal server error' }` (a crash of the handler, the RPC kin of HTTP 500). An RpcException
   * your handler throws on purpose is an answer, not a failure.
   */
  errors?: RpcErrorMatch | undefined;
}

export interface ResolvedClientRetry {
  attempts: number;
  budgetMs: number;
  idempotent: (pattern: unknown) => boolean;
  retryError: RpcErrorMatch;
  failureError: RpcErrorMatch;
}

/** Nest's answer when a handler throws something other than an RpcException. */
export const isInternalServerError: RpcErrorMatch = (error) => {
  const e = error as { status?: unknown; message?: unknown } | undefined;
  return typeof e === 'object' && e !== null && e.status === 'error' && e.message === 'Internal server error';
};

export function resolveClientRetry(options: ClientRetryOptions = {}, failures: ClientFailureOptions = {}): ResolvedClientRetry {
  const attempts = options.attempts ?? 3;
  const budgetMs = options.budgetMs ?? 3000;
  if (!Number.isInteger(attempts) || attempts < 1)
    throw new RegistryOptionsError('retry.attempts', clientMessages.retryOption('attempts', attempts));
  if (!Number.isInteger(budgetMs) || budgetMs < 0)
    throw new RegistryOptionsError('retry.budgetMs', clientMessages.retryOption('budgetMs', budgetMs));
  for (const [option, value] of [
    ['retry.errors', options.errors],
    ['failures.errors', failures.errors],
  ] as const) {
    if (value !== undefined && typeof value !== 'function')
      throw new RegistryOptionsError(option, clientMessages.matchOption(option, value));
  }
  const idempotent = options.idempotent ?? false;
  return {
    attempts,
    budgetMs,
    idempotent: typeof idempotent === 'function' ? idempotent : () => idempotent,
    retryError: options.errors ?? (() => false),
    failureError: failures.errors ?? isInternalServerError,
  };
}

const NOT_SENT = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);
const MAYBE_SENT = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT']);

/**
 * How a microservice call failed: the connection was refused (nothing sent), dropped while the
 * call was out (Nest's TCP client reports "Connection closed"), or the instance answered with an
 * error (an RpcException, or Nest's "Internal server error").
 */
export function clientFailureKind(error: unknown): 'not-sent' | 'maybe-sent' | 'answered' {
  const e = error as { code?: string; message?: string } | undefined;
  if (e && typeof e === 'object' && typeof e.code === 'string') {
    if (NOT_SENT.has(e.code)) return 'not-sent';
    if (MAYBE_SENT.has(e.code)) return 'maybe-sent';
  }
  if (error instanceof Error && /^Connection closed$|socket hang up|This socket has been ended/i.test(error.message)) return 'maybe-sent';
  return 'answered';
}
