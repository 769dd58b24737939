import { RegistryOptionsError } from './errors';
import { RegistryEvents } from './events/registry-events';
import { messages } from './messages';
import { RegistryLogger, RegistryOptions, RegistryTlsOptions } from './registry.interface';

export const DEFAULT_TIMEOUT_MS = 5000;
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 1000;
export const DEFAULT_TTL_SECONDS = 5;
export const DEFAULT_HANDLER_TIMEOUT_MS = 5000;
export const DEFAULT_LEASE_LINGER_MS = 3000;
export const DEFAULT_ANTI_ENTROPY_INTERVAL_MS = 300_000;

/** Options with defaults applied and every field checked. */
export interface ResolvedRegistryOptions {
  endpoints: string[];
  /** Endpoints with their scheme, as etcd3 wants them. */
  hosts: string[];
  username?: string | undefined;
  password?: string | undefined;
  tls?: RegistryTlsOptions | undefined;
  timeoutMs: number;
  /** Longest wait for one member within an operation while another member can be tried (<= timeoutMs). */
  attemptTimeoutMs: number;
  ttlSeconds: number;
  namespace: string;
  resyncIntervalMs?: number | undefined;
  /** 0: off. */
  antiEntropyIntervalMs: number;
  handlerTimeoutMs: number;
  leaseLingerMs: number;
  logger: RegistryLogger;
  /** The registry's events (registered, lease lost, ...): every unit emits into this one emitter. */
  events: RegistryEvents;
}

const silentLogger: RegistryLogger = { log() {}, warn() {}, error() {}, debug() {} };

const ENDPOINT = /^(https?:\/\/)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})\/?$/;

function positiveInteger(option: string, value: unknown, fallback: number, unit: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new RegistryOptionsError(option, messages.positiveInteger(option, value, unit));
  }
  return value;
}

function nonNegativeInteger(option: string, value: unknown, fallback: number, unit: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new RegistryOptionsError(option, messages.nonNegativeInteger(option, value, unit));
  }
  return value;
}

function optionalString(option: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw new RegistryOptionsError(option, messages.stringOption(option, value));
  return value;
}

function resolveTls(tls: unknown): RegistryTlsOptions | undefined {
  if (tls === undefined) return undefined;
  if (typeof tls !== 'object' || tls === null) throw new RegistryOptionsError('tls', messages.tlsInvalid('ca'));
  const t = tls as Record<string, unknown>;
  for (const field of ['ca', 'cert', 'key']) {
    const v = t[field];
    if (v !== undefined && !(typeof v === 'string' && v.length > 0) && !Buffer.isBuffer(v)) {
      throw new RegistryOptionsError(`tls.${field}`, messages.tlsInvalid(field));
    }
  }
  if ((t.cert === undefined) !== (t.key === undefined)) throw new RegistryOptionsError('tls.cert', messages.tlsKeyPair());
  return {
    ca: t.ca as string | Buffer | undefined,
    cert: t.cert as string | Buffer | undefined,
    key: t.key as string | Buffer | undefined,
  };
}

function resolveEndpoints(value: unknown, tls: boolean): { endpoints: string[]; hosts: string[] } {
  if (!Array.isArray(value) || value.length === 0) throw new RegistryOptionsError('endpoints', messages.endpointsEmpty());
  const endpoints: string[] = [];
  for (const entry of value) {
    const m = typeof entry === 'string' ? ENDPOINT.exec(entry.trim()) : null;
    if (!m || Number(m[3]) < 1 || Number(m[3]) > 65535) throw new RegistryOptionsError('endpoints', messages.endpointInvalid(entry));
    endpoints.push(entry.trim().replace(/\/$/, ''));
  }
  const schemes = new Set(endpoints.filter((e) => /^https?:\/\//.test(e)).map((e) => e.startsWith('https://')));
  if (schemes.size > 1) throw new RegistryOptionsError('endpoints', messages.endpointsMixedScheme());
  const secure = schemes.has(true) || (schemes.size === 0 && tls);
  const hosts = endpoints.map((e) => (/^https?:\/\//.test(e) ? e : `${secure ? 'https' : 'http'}://${e}`));
  return { endpoints, hosts };
}

function resolveLogger(logger: unknown): RegistryLogger {
  if (logger === undefined) return silentLogger;
  const l = logger as Partial<RegistryLogger>;
  if (typeof l !== 'object' || l === null || typeof l.log !== 'function' || typeof l.warn !== 'function' || typeof l.error !== 'function') {
    throw new RegistryOptionsError('logger', messages.loggerInvalid());
  }
  return l as RegistryLogger;
}

/** Applies defaults and validates; throws RegistryOptionsError naming the option and the fix. Pure. */
export function resolveRegistryOptions(options: RegistryOptions): ResolvedRegistryOptions {
  if (typeof options !== 'object' || options === null) throw new RegistryOptionsError('options', messages.optionsNotObject());
  const tls = resolveTls(options.tls);
  const { endpoints, hosts } = resolveEndpoints(options.endpoints, tls !== undefined);
  const username = optionalString('username', options.username);
  const password = optionalString('password', options.password);
  if (password !== undefined && username === undefined) throw new RegistryOptionsError('password', messages.passwordWithoutUser());
  if (username !== undefined && password === undefined) throw new RegistryOptionsError('username', messages.userWithoutPassword());
  const namespace = options.namespace === undefined ? '' : optionalString('namespace', options.namespace)!;
  const resyncIntervalMs =
    options.resyncIntervalMs === undefined ? undefined : positiveInteger('resyncIntervalMs', options.resyncIntervalMs, 0, 'milliseconds');
  const logger = resolveLogger(options.logger);
  const timeoutMs = positiveInteger('timeoutMs', options.timeoutMs, DEFAULT_TIMEOUT_MS, 'milliseconds');
  const attemptTimeoutMs = positiveInteger(
    'attemptTimeoutMs',
    options.attemptTimeoutMs,
    Math.min(DEFAULT_ATTEMPT_TIMEOUT_MS, timeoutMs),
    'milliseconds',
  );
  if (attemptTimeoutMs > timeoutMs)
    throw new RegistryOptionsError('attemptTimeoutMs', messages.attemptAboveTimeout(attemptTimeoutMs, timeoutMs));
  return {
    endpoints,
    hosts,
    username,
    password,
    tls,
    timeoutMs,
    attemptTimeoutMs,
    ttlSeconds: positiveInteger('ttlSeconds', options.ttlSeconds, DEFAULT_TTL_SECONDS, 'seconds'),
    namespace,
    resyncIntervalMs,
    antiEntropyIntervalMs: nonNegativeInteger(
      'antiEntropyIntervalMs',
      options.antiEntropyIntervalMs,
      DEFAULT_ANTI_ENTROPY_INTERVAL_MS,
      'milliseconds',
    ),
    handlerTimeoutMs: positiveInteger('handlerTimeoutMs', options.handlerTimeoutMs, DEFAULT_HANDLER_TIMEOUT_MS, 'milliseconds'),
    leaseLingerMs: nonNegativeInteger('leaseLingerMs', options.leaseLingerMs, DEFAULT_LEASE_LINGER_MS, 'milliseconds'),
    logger,
    events: new RegistryEvents(logger),
  };
}
