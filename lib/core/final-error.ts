import { RegistryAuthError, RegistryClosedError, RegistryError, RegistryRefusedError, RegistryUnavailableError } from './errors';
import { OWN_CANCEL, OWN_DEADLINE } from './etcd/own-ends';
import { messages } from './messages';

// How an etcd client's errors become the library's: which are final (and what they say) and which
// are transient. Free of etcd3, so a reader that does not load it (etcd/lean-range.ts) shares it.

export interface ErrorContext {
  endpoints: readonly string[];
  username?: string;
  /** What was being done, e.g. `registration of "/services/a/1"`. */
  what: string;
}

const NO_SPACE = /database space exceeded/;
const TOO_MANY_OPS = /too many operations in txn request/;
/** etcd's own check (--max-request-bytes), or its gRPC server's (the limit plus 512 KiB). */
const TOO_LARGE = /request is too large|received message larger than max/i;
/** A plaintext client whose connection etcd drops (e.g. because etcd speaks TLS); the breaker: a client handed in with etcd3's defaults. */
const CONNECTION_FAILED = /No connection established|Connection dropped|Failed to connect|circuit breaker is open/i;

/** etcd's answer to a call without a token when auth is enabled. */
const NO_CREDENTIALS = /user name is empty/;

const TLS_FAILURE = /certificate|self[- ]signed|unable to (get|verify)|SSL|TLS|handshake|wrong version number/i;

/** The message of an error, with what etcd3/gRPC put in front of it trimmed. */
export function causeOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text
    .replace(/^\d+ [A-Z_]+: /, '')
    .replace(/\.? *Resolution note:.*$/s, '')
    .trim();
}

/**
 * What an etcd client's error is, for the few kinds whose class (not message) tells it: each
 * client says it its own way (etcd3's error classes in etcd/etcd-errors.ts; the lean reader's gRPC
 * status codes in etcd/lean-range-errors.ts).
 */
export type EtcdErrorKind = 'authFailed' | 'unauthenticated' | 'permissionDenied' | 'clientClosed' | 'invalidArgument';
export type ErrorKindOf = (error: unknown) => EtcdErrorKind | undefined;

/**
 * Turns an error of an etcd client into a final RegistryError, or returns undefined when the
 * error is transient (etcd unreachable, no leader yet, deadline) and the operation may be retried.
 * `kindOf` tells the client's error classes apart.
 */
export function finalErrorOf(error: unknown, ctx: ErrorContext, kindOf: ErrorKindOf): Error | undefined {
  if (error instanceof RegistryError) return error;
  const text = error instanceof Error ? error.message : '';
  // Ends of our own making (etcd/host-failure.interceptor.ts): transient for the operation.
  if (text.includes(OWN_DEADLINE) || text.includes(OWN_CANCEL)) return undefined;
  if (NO_SPACE.test(text)) return new RegistryRefusedError('NOSPACE', messages.noSpace(ctx.endpoints, ctx.what), { cause: error });
  if (TOO_MANY_OPS.test(text)) return new RegistryRefusedError('TOO_MANY_TXN_OPS', messages.tooManyTxnOps(ctx.what), { cause: error });
  if (TOO_LARGE.test(text)) return new RegistryRefusedError('REQUEST_TOO_LARGE', messages.requestTooLarge(ctx.what), { cause: error });
  if (NO_CREDENTIALS.test(text)) return new RegistryAuthError(messages.credentialsRequired(ctx.endpoints), { cause: error });
  const kind = kindOf(error);
  if (kind === 'authFailed' || kind === 'unauthenticated') {
    return new RegistryAuthError(messages.authFailed(ctx.endpoints, ctx.username), { cause: error });
  }
  if (kind === 'permissionDenied') {
    return new RegistryAuthError(messages.permissionDenied(ctx.what, ctx.username), { cause: error });
  }
  if (kind === 'clientClosed') return new RegistryClosedError(messages.closed(), { cause: error });
  if (kind === 'invalidArgument') {
    return new RegistryRefusedError('INVALID_REQUEST', messages.invalidRequest(ctx.what, causeOf(error)), { cause: error });
  }
  if (error instanceof Error && TLS_FAILURE.test(error.message)) {
    return new RegistryUnavailableError(messages.tlsFailed(ctx.endpoints, causeOf(error)), { cause: error });
  }
  if (error instanceof Error && /^(TypeError|RangeError|ReferenceError)$/.test(error.name)) return error;
  return undefined;
}

/** etcd's answer to a read at a revision it has compacted away. */
export function isCompacted(error: unknown): boolean {
  return error instanceof Error && /required revision has been compacted/.test(error.message);
}

/** Whether a transient error may be etcd dropping a plaintext client's connections (worth a TLS probe). */
export function mayBeTlsMismatch(error: unknown): boolean {
  return error instanceof Error && CONNECTION_FAILED.test(error.message);
}
