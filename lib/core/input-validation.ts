import type { BackoffPolicy } from './backoff';
import { RegistryArgumentError } from './errors';
import { messages } from './messages';
import type { WatchOptions } from './registry.interface';

/** etcd's default request size limit (--max-request-bytes): 1.5 MiB. */
export const MAX_REQUEST_BYTES = 1.5 * 1024 * 1024;

/**
 * Bytes of a guarded write besides its key and value: the raft request header (request id,
 * user name length, auth revision), the lease id, the compares' targets and revisions, and the
 * tags and lengths of every nested message, counted generously (measured: under 100).
 */
export const REQUEST_OVERHEAD_BYTES = 256;

/** A guarded write carries its key three times: in the compare, the put, and the read of the other branch. */
export const KEY_COPIES_PER_REQUEST = 3;

/** Size of the largest request a registration of `key` with `value` sends (key with namespace). */
export function registrationRequestBytes(key: string, value: string, username = ''): number {
  return KEY_COPIES_PER_REQUEST * Buffer.byteLength(key) + Buffer.byteLength(value) + Buffer.byteLength(username) + REQUEST_OVERHEAD_BYTES;
}

/**
 * Index of the first UTF-16 code unit that is a lone surrogate (it has no UTF-8 encoding: it
 * would reach etcd as U+FFFD, a different key), or -1 when `text` is well formed.
 */
export function loneSurrogateAt(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0xd800 || unit > 0xdfff) continue;
    const next = text.charCodeAt(i + 1);
    if (unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      i++;
      continue;
    }
    return i;
  }
  return -1;
}

/** Node 20+ has String.prototype.isWellFormed (native); older runtimes take the loop. */
const isWellFormed = (text: string): boolean => (text as { isWellFormed?: () => boolean }).isWellFormed?.() ?? loneSurrogateAt(text) < 0;

function assertWellFormed(argument: string, text: string): void {
  if (isWellFormed(text)) return;
  const at = loneSurrogateAt(text);
  if (at >= 0) throw new RegistryArgumentError(argument, messages.loneSurrogate(argument, text, at));
}

export function assertPath(path: unknown, argument = 'path'): asserts path is string {
  if (typeof path !== 'string' || path.length === 0) throw new RegistryArgumentError(argument, messages.pathInvalid(argument, path));
  assertWellFormed(argument, path);
}

/** `keyPrefix` is the registry's namespace (etcd receives it in front of the path); `username` travels in the request header. */
export function assertValue(path: string, value: unknown, keyPrefix = '', username = ''): asserts value is string {
  if (typeof value !== 'string') throw new RegistryArgumentError('value', messages.valueInvalid(value));
  assertWellFormed('value', value);
  // A UTF-16 code unit is at most 3 bytes of UTF-8: a request that fits even so needs no exact count.
  const unitsBound = KEY_COPIES_PER_REQUEST * (keyPrefix.length + path.length) + value.length + username.length;
  if (3 * unitsBound + REQUEST_OVERHEAD_BYTES <= MAX_REQUEST_BYTES) return;
  const bytes = registrationRequestBytes(keyPrefix + path, value, username);
  if (bytes > MAX_REQUEST_BYTES) {
    const room = Math.max(0, MAX_REQUEST_BYTES - (bytes - Buffer.byteLength(value)));
    throw new RegistryArgumentError(
      'value',
      messages.tooLarge(path, Buffer.byteLength(keyPrefix + path), Buffer.byteLength(value), bytes, MAX_REQUEST_BYTES, room),
    );
  }
}

export function assertPrefix(prefix: unknown): asserts prefix is string {
  assertPath(prefix, 'prefix');
  if (!prefix.endsWith('/')) throw new RegistryArgumentError('prefix', messages.prefixNoSlash(prefix));
}

export function assertHandler(fn: unknown): asserts fn is (...args: unknown[]) => unknown {
  if (typeof fn !== 'function') throw new RegistryArgumentError('fn', messages.handlerInvalid());
}

/** Default backoff of `retry: true`: the current map again after 50-500 ms, then in windows of up to 30 s. */
export const HANDLER_RETRY_BACKOFF: BackoffPolicy = Object.freeze({ initialMs: 500, maxMs: 30_000 });

/** addWatch's options checked: the handler's name (default: the function's) and its retry policy (none: no retry). */
export function resolveWatchOptions(fnName: string, options: unknown): { name: string; retry: BackoffPolicy | undefined } {
  if (options !== undefined && (typeof options !== 'object' || options === null))
    throw new RegistryArgumentError('options', messages.watchOptions(options));
  const { name, retry } = (options ?? {}) as WatchOptions;
  if (name !== undefined && (typeof name !== 'string' || name.length === 0))
    throw new RegistryArgumentError('name', messages.watchName(name));
  return { name: name ?? (fnName || 'anonymous handler'), retry: resolveRetry(retry) };
}

function resolveRetry(retry: unknown): BackoffPolicy | undefined {
  if (retry === undefined || retry === false) return undefined;
  if (retry === true) return HANDLER_RETRY_BACKOFF;
  const { initialMs, maxMs } = (retry ?? {}) as Partial<BackoffPolicy>;
  const valid =
    typeof retry === 'object' && Number.isInteger(initialMs) && Number.isInteger(maxMs) && initialMs! >= 1 && maxMs! >= initialMs!;
  if (!valid) throw new RegistryArgumentError('retry', messages.watchRetry(retry));
  return { initialMs: initialMs!, maxMs: maxMs! };
}
