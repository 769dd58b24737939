/** Base class of every error this library throws. */
export class RegistryError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message);
    this.name = new.target.name;
    if (options && 'cause' in options) (this as { cause?: unknown }).cause = options.cause;
  }
}

/** An option passed to createRegistry / EtcdRegistryModule is invalid. `option` names it. */
export class RegistryOptionsError extends RegistryError {
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(message);
  }
}

/** A method argument (path, value, prefix, handler) is invalid. `argument` names it. */
export class RegistryArgumentError extends RegistryError {
  constructor(
    readonly argument: string,
    message: string,
  ) {
    super(message);
  }
}

/** etcd did not answer within the time budget. */
export class RegistryUnavailableError extends RegistryError {}

/** Why etcd refused a request although it runs and answers (`RegistryRefusedError.reason`). */
export type RefusalReason = 'NOSPACE' | 'TOO_MANY_TXN_OPS' | 'REQUEST_TOO_LARGE' | 'INVALID_REQUEST';

/**
 * etcd answered and refused the request for a reason of its own state or configuration, named by
 * `reason`: final (retrying cannot help until the operator acts); the message says what to do.
 */
export class RegistryRefusedError extends RegistryError {
  constructor(
    readonly reason: RefusalReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** etcd refused the credentials or the user lacks a permission. */
export class RegistryAuthError extends RegistryError {}

/** The key is held by another live lease (another process registered the same path). */
export class ServiceConflictError extends RegistryError {
  constructor(
    readonly path: string,
    readonly holderLease: string,
    message: string,
  ) {
    super(message);
  }
}

/** removeWatch stopped a prefix's watch while addWatch was starting on it: the handler was not subscribed. */
export class WatchRemovedError extends RegistryError {
  constructor(
    readonly prefix: string,
    message: string,
  ) {
    super(message);
  }
}

/** The registry was closed. */
export class RegistryClosedError extends RegistryError {}
