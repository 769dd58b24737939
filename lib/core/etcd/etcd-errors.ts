import {
  ClientClosedError,
  EtcdAuthenticationFailedError,
  EtcdPermissionDeniedError,
  GRPCInvalidArgumentError,
  GRPCUnauthenticatedError,
} from 'etcd3';
import { ErrorContext, ErrorKindOf, finalErrorOf } from '../final-error';

export { causeOf, isCompacted, mayBeTlsMismatch } from '../final-error';
export type { ErrorContext } from '../final-error';

/** The kind of an etcd3 error, by its class (etcd3 casts gRPC's errors to them). */
export const etcd3ErrorKind: ErrorKindOf = (error) => {
  if (error instanceof EtcdAuthenticationFailedError) return 'authFailed';
  if (error instanceof GRPCUnauthenticatedError) return 'unauthenticated';
  if (error instanceof EtcdPermissionDeniedError) return 'permissionDenied';
  if (error instanceof ClientClosedError) return 'clientClosed';
  if (error instanceof GRPCInvalidArgumentError) return 'invalidArgument';
  return undefined;
};

/**
 * Turns an error from etcd3 into a final RegistryError, or returns undefined when the error
 * is transient (etcd unreachable, no leader yet, deadline) and the operation may be retried.
 */
export function finalError(error: unknown, ctx: ErrorContext): Error | undefined {
  return finalErrorOf(error, ctx, etcd3ErrorKind);
}
