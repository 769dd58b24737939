import { randomBytes } from 'crypto';
import { hostname } from 'os';
import {
  REGISTRATION_FIELDS,
  RegistryLogger,
  RegistryOptions,
  RegistryOptionsError,
  ResolvedRegistryOptions,
  encodeRegistration,
  resolveRegistryOptions,
} from '../core';
import { DEFAULT_SERVICE_PREFIX } from './etcd-registry.constants';
import { nestMessages } from './messages';
import type { EtcdRegistryModuleOptions, ResolvedEtcdRegistryService } from './interfaces';

/** The module options with defaults applied, resolved once: what the registry (core) gets and what the Nest layer adds. */
export interface ResolvedEtcdRegistryModuleOptions {
  /** The core's options, resolved by the core's resolveRegistryOptions (handed to the client factory and EtcdRegistry as they are). */
  registry: ResolvedRegistryOptions;
  service?: ResolvedEtcdRegistryService | undefined;
  autoRegister: boolean;
  /** Graceful drain on shutdown, ms (0: none). */
  drainMs: number;
  /** How the drain lets drainMs pass; default a timer. The testing kit passes it on its own clock. */
  drainWait?: ((ms: number) => Promise<void>) | undefined;
}

/** `${hostname}-${pid}-${6 hex}`: unique per process, readable in etcdctl output. */
export function defaultInstanceId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

const isNonEmptyString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

function resolveService(service: unknown, makeId: () => string): ResolvedEtcdRegistryService | undefined {
  if (service === undefined) return undefined;
  if (typeof service !== 'object' || service === null || Array.isArray(service)) {
    throw new RegistryOptionsError('service', nestMessages.serviceNotObject(service));
  }
  const s = service as Record<string, unknown>;
  if (!isNonEmptyString(s.name) || s.name.includes('/')) throw new RegistryOptionsError('service.name', nestMessages.serviceName(s.name));
  if (s.id !== undefined && (!isNonEmptyString(s.id) || s.id.includes('/'))) {
    throw new RegistryOptionsError('service.id', nestMessages.serviceId(s.id));
  }
  if (!isNonEmptyString(s.address)) throw new RegistryOptionsError('service.address', nestMessages.serviceAddress(s.address));
  if (s.prefix !== undefined && (!isNonEmptyString(s.prefix) || !s.prefix.startsWith('/') || !s.prefix.endsWith('/'))) {
    throw new RegistryOptionsError('service.prefix', nestMessages.servicePrefix(s.prefix));
  }
  if (s.value !== undefined && !isNonEmptyString(s.value))
    throw new RegistryOptionsError('service.value', nestMessages.serviceValue(s.value));
  const prefix = s.prefix ?? DEFAULT_SERVICE_PREFIX;
  const id = s.id ?? makeId();
  if (REGISTRATION_FIELDS.some((f) => s[f] !== undefined)) return resolveEncodedService(s, s.name, prefix, id);
  return {
    name: s.name,
    id,
    address: s.address,
    prefix,
    value: s.value ?? s.address,
    key: `${prefix}${s.name}/${id}`,
  };
}

const isEmpty = (v: unknown) => v === undefined || v === '';

/**
 * Credentials as configuration files write them: `ETCD_USERNAME=` and `ETCD_PASSWORD=` left
 * empty mean no auth (both dropped); one set and the other empty is an error naming both.
 * Anything else goes to the core's checks unchanged.
 */
function resolveCredentials<T extends Pick<RegistryOptions, 'username' | 'password'>>(registry: T): T {
  const { username, password } = registry;
  if (isEmpty(username) && isEmpty(password)) {
    const { username: _u, password: _p, ...rest } = registry;
    return rest as T;
  }
  if (isEmpty(username) && typeof password === 'string')
    throw new RegistryOptionsError('username', nestMessages.credentialsPair('password'));
  if (isEmpty(password) && typeof username === 'string')
    throw new RegistryOptionsError('password', nestMessages.credentialsPair('username'));
  return registry;
}

/** A service with a codec or instance fields: the codec writes the key and the value. */
function resolveEncodedService(s: Record<string, unknown>, name: string, prefix: string, id: string): ResolvedEtcdRegistryService {
  if (s.value !== undefined) throw new RegistryOptionsError('service.value', nestMessages.serviceValueAndCodec());
  if (s.codec === 'grpc-naming' && s.id !== undefined) throw new RegistryOptionsError('service.id', nestMessages.serviceIdWithNaming());
  if (s.target !== undefined && s.prefix !== undefined) throw new RegistryOptionsError('service.prefix', nestMessages.targetAndPrefix());
  const { path, value, codec } = encodeRegistration({ ...(s as object), prefix, name, id, address: s.address as string });
  // Only the json codec carries a status: its draining value is the same registration marked draining.
  const drainingValue =
    codec === 'json'
      ? encodeRegistration({ ...(s as object), prefix, name, id, address: s.address as string, status: 'draining' }).value
      : undefined;
  return {
    name,
    id: codec === 'grpc-naming' ? (s.address as string) : id,
    address: s.address as string,
    // With a naming target, the prefix is the target's part before the name ('' for a one-segment target).
    prefix: typeof s.target === 'string' ? s.target.slice(0, s.target.lastIndexOf('/') + 1) : prefix,
    value,
    key: path,
    codec,
    drainingValue,
  };
}

/**
 * Applies the defaults and validates, once: the Nest-only options (`service`, `autoRegister`) here,
 * the core's through the core's resolveRegistryOptions (`defaultLogger` when no `logger` is given).
 * Throws RegistryOptionsError naming the option and the fix. Pure: the default id comes from `makeId`.
 */
export function resolveEtcdRegistryModuleOptions(
  options: EtcdRegistryModuleOptions,
  makeId: () => string = defaultInstanceId,
  defaultLogger?: RegistryLogger,
): ResolvedEtcdRegistryModuleOptions {
  const { core, ...nest } = splitEtcdRegistryModuleOptions(options, makeId, defaultLogger);
  return { registry: resolveRegistryOptions(core as RegistryOptions), ...nest };
}

/**
 * The Nest-only options resolved, and the core's options split off as given (with `defaultLogger`
 * when no `logger` is set), for a core resolver: the core's, or the testing kit's.
 */
export function splitEtcdRegistryModuleOptions(
  options: Partial<EtcdRegistryModuleOptions>,
  makeId: () => string = defaultInstanceId,
  defaultLogger?: RegistryLogger,
): Omit<ResolvedEtcdRegistryModuleOptions, 'registry'> & { core: Partial<RegistryOptions> } {
  if (typeof options !== 'object' || options === null) {
    throw new RegistryOptionsError('options', nestMessages.optionsNotObject(options));
  }
  const { service, autoRegister, drainMs, ...core } = options;
  if (autoRegister !== undefined && typeof autoRegister !== 'boolean') {
    throw new RegistryOptionsError('autoRegister', nestMessages.autoRegister(autoRegister));
  }
  if (drainMs !== undefined && (typeof drainMs !== 'number' || !Number.isInteger(drainMs) || drainMs < 0)) {
    throw new RegistryOptionsError('drainMs', nestMessages.drainMs(drainMs));
  }
  return {
    core: resolveCredentials(core.logger === undefined && defaultLogger ? { ...core, logger: defaultLogger } : core),
    service: resolveService(service, makeId),
    autoRegister: autoRegister ?? true,
    drainMs: drainMs ?? 0,
  };
}
