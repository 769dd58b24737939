import {
  ClientClosedError,
  EtcdAuthenticationFailedError,
  EtcdPermissionDeniedError,
  GRPCInvalidArgumentError,
  GRPCUnauthenticatedError,
} from 'etcd3';
import {
  RegistryArgumentError,
  RegistryAuthError,
  RegistryClosedError,
  RegistryError,
  RegistryUnavailableError,
} from './errors';
import { messages } from './messages';

export interface ErrorContext {
  endpoints: readonly string[];
  username?: string;
  /** What was being done, e.g. `registration of "/services/a/1"`. */
  what: string;
}

const TLS_FAILURE = /certificate|self[- ]signed|unable to (get|verify)|SSL|TLS|handshake|wrong version number/i;

/** The message of an error, with what etcd3/gRPC put in front of it trimmed. */
export function causeOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/^\d+ [A-Z_]+: /, '').replace(/\.? *Resolution note:.*$/s, '').trim();
}

/**
 * Turns an error from etcd3 into a final RegistryError, or returns undefined when the error
 * is transient (etcd unreachable, no leader yet, deadline) and the operation may be retried.
 */
export function finalError(error: unknown, ctx: ErrorContext): Error | undefined {
  if (error instanceof RegistryError) return error;
  if (error instanceof EtcdAuthenticationFailedError || error instanceof GRPCUnauthenticatedError) {
    return new RegistryAuthError(messages.authFailed(ctx.endpoints, ctx.username), { cause: error });
  }
  if (error instanceof EtcdPermissionDeniedError) {
    return new RegistryAuthError(messages.permissionDenied(ctx.what, ctx.username), { cause: error });
  }
  if (error instanceof ClientClosedError) return new RegistryClosedError(messages.closed(), { cause: error });
  if (error instanceof GRPCInvalidArgumentError) {
    return new RegistryArgumentError('value', `etcd rejected the ${ctx.what}: ${causeOf(error)}.`);
  }
  if (error instanceof Error && TLS_FAILURE.test(error.message)) {
    return new RegistryUnavailableError(messages.tlsFailed(ctx.endpoints, causeOf(error)), { cause: error });
  }
  if (error instanceof Error && /^(TypeError|RangeError|ReferenceError)$/.test(error.name)) return error;
  return undefined;
}
