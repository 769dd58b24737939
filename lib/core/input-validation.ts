import { RegistryArgumentError } from './errors';
import { messages } from './messages';

/** etcd's default request size limit (--max-request-bytes), minus room for the request's framing. */
export const MAX_REQUEST_BYTES = 1.5 * 1024 * 1024;

export function assertPath(path: unknown, argument = 'path'): asserts path is string {
  if (typeof path !== 'string' || path.length === 0) throw new RegistryArgumentError(argument, messages.pathInvalid(argument, path));
}

export function assertValue(path: string, value: unknown): asserts value is string {
  if (typeof value !== 'string') throw new RegistryArgumentError('value', messages.valueInvalid(value));
  const bytes = Buffer.byteLength(path) + Buffer.byteLength(value);
  if (bytes > MAX_REQUEST_BYTES - 512) throw new RegistryArgumentError('value', messages.tooLarge(path, bytes, MAX_REQUEST_BYTES));
}

export function assertPrefix(prefix: unknown): asserts prefix is string {
  assertPath(prefix, 'prefix');
  if (!prefix.endsWith('/')) throw new RegistryArgumentError('prefix', messages.prefixNoSlash(prefix));
}

export function assertHandler(fn: unknown): asserts fn is (...args: unknown[]) => unknown {
  if (typeof fn !== 'function') throw new RegistryArgumentError('fn', messages.handlerInvalid());
}
