import { RegistryOptionsError } from '../core/errors';
import { clientMessages } from './messages';

export interface ClientRetryOptions {
  /** Tries per call, the first included. Default 3. */
  attempts?: number;
  /** No retry starts once this long has passed since the call began, ms. Default 3000. */
  budgetMs?: number;
  /**
   * Whether a `send` whose connection dropped after the message may have gone out is sent again to
   * another instance: true for every pattern, or a function of the pattern. Default false (a
   * refused connection, where nothing was sent, is always retried).
   */
  idempotent?: boolean | ((pattern: unknown) => boolean);
}

export interface ResolvedClientRetry {
  attempts: number;
  budgetMs: number;
  idempotent: (pattern: unknown) => boolean;
}

export function resolveClientRetry(options: ClientRetryOptions = {}): ResolvedClientRetry {
  const attempts = options.attempts ?? 3;
  const budgetMs = options.budgetMs ?? 3000;
  if (!Number.isInteger(attempts) || attempts < 1)
    throw new RegistryOptionsError('retry.attempts', clientMessages.retryOption('attempts', attempts));
  if (!Number.isInteger(budgetMs) || budgetMs < 0)
    throw new RegistryOptionsError('retry.budgetMs', clientMessages.retryOption('budgetMs', budgetMs));
  const idempotent = options.idempotent ?? false;
  return { attempts, budgetMs, idempotent: typeof idempotent === 'function' ? idempotent : () => idempotent };
}

const NOT_SENT = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);
const MAYBE_SENT = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT']);

/**
 * How a microservice call failed: the connection was refused (nothing sent), dropped while the
 * call was out (Nest's TCP client reports "Connection closed"), or the instance answered with an
 * error (an RpcException: its answer, not a transport failure).
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
