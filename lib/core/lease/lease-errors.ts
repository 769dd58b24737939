import { EtcdLeaseInvalidError, EtcdPermissionDeniedError, GRPCNotFoundError } from 'etcd3';

/**
 * True when etcd says the lease no longer exists (expired or revoked). Recognised by etcd3's
 * error class, which it derives from the gRPC status (NOT_FOUND, "requested lease not found"):
 * etcd3's errors all keep the name `Error`, so `error.name` never tells.
 */
export function isLeaseGone(error: unknown): boolean {
  if (error instanceof EtcdLeaseInvalidError) return true;
  return error instanceof GRPCNotFoundError && /lease not found/.test(error.message);
}

/** True when etcd refused an operation for lack of permission. */
export function isPermissionDenied(error: unknown): boolean {
  return error instanceof EtcdPermissionDeniedError;
}
