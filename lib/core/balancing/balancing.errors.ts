import { RegistryError } from '../errors';

/** A call named a service that has no key under the watched prefix. `service` names it. */
export class UnknownServiceError extends RegistryError {
  constructor(
    readonly service: string,
    message: string,
  ) {
    super(message);
  }
}

/** The service is known but has no instance to call: every instance left or drains. */
export class NoLiveInstanceError extends RegistryError {
  constructor(
    readonly service: string,
    message: string,
  ) {
    super(message);
  }
}

/** Instances are live, but none has an address for the client's transport (e.g. no tcp:// endpoint). */
export class NoInstanceAddressError extends RegistryError {
  constructor(
    readonly service: string,
    readonly transport: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * One attempt of a call got no answer within its deadline (`attemptTimeoutMs`) and was not retried
 * (the call is not idempotent, or no attempt or time was left). Names the instance and the deadline.
 */
export class AttemptTimeoutError extends RegistryError {
  /** Like Node's socket timeouts, for code that tests `error.code`. */
  readonly code = 'ETIMEDOUT';

  constructor(
    readonly service: string,
    readonly key: string,
    readonly address: string,
    readonly timeoutMs: number,
    message: string,
  ) {
    super(message);
  }
}

/** The call as a whole (its attempts and retries) ran out of its overall deadline (`deadlineMs`). */
export class CallDeadlineError extends RegistryError {
  readonly code = 'ETIMEDOUT';

  constructor(
    readonly service: string,
    readonly deadlineMs: number,
    /** The instances tried (keys), in order. */
    readonly tried: readonly string[],
    message: string,
  ) {
    super(message);
  }
}
