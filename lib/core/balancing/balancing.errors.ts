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
