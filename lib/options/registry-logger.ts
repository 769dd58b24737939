import { Logger } from '@nestjs/common';
import type { RegistryLogger } from '../core';
import { ETCD_REGISTRY_LOGGER_CONTEXT } from './etcd-registry.constants';

/**
 * The core's logger when the application passes none: log, warn and error go to Nest's `Logger`
 * under the `EtcdRegistry` context; the core's debug detail (each lease granted, each watch
 * reconnect) is left out, since Nest prints debug lines by default. Pass
 * `logger: new Logger('EtcdRegistry')` in the module options to see it.
 */
export function defaultRegistryLogger(): RegistryLogger {
  const logger = new Logger(ETCD_REGISTRY_LOGGER_CONTEXT);
  return {
    log: (message) => logger.log(message),
    warn: (message) => logger.warn(message),
    error: (message, stack) => (stack === undefined ? logger.error(message) : logger.error(message, stack)),
  };
}
