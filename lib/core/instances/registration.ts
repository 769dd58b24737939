import { RegistryOptionsError } from '../errors';
import { messages } from '../messages';
import { isHostPort, parseEndpoint } from './address';
import type { InstanceCodecChoice } from './instance-codec.interface';
import { findInstanceCodec } from './instance-codecs';
import type { InstanceRegistration, InstanceStatus } from './service-instance';

/** The instance fields a registration may carry besides name, id, address and prefix (all optional). */
export interface InstanceRegistrationFields {
  codec?: InstanceCodecChoice | undefined;
  endpoints?: readonly string[] | undefined;
  version?: string | undefined;
  metadata?: Readonly<Record<string, string>> | undefined;
  zone?: string | undefined;
  weight?: number | undefined;
  status?: InstanceStatus | undefined;
  /** grpc-naming only: the naming target as Go dials it (`etcd:///{target}`), e.g. `foo/bar/my-service`. */
  target?: string | undefined;
}

/** Field names of InstanceRegistrationFields: their presence means a codec writes the value. */
export const REGISTRATION_FIELDS = ['codec', 'endpoints', 'version', 'metadata', 'zone', 'weight', 'status', 'target'] as const;

const isNonEmptyString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

function check(ok: boolean, option: string, expected: string, value: unknown): void {
  if (!ok) throw new RegistryOptionsError(option, messages.registrationField(option, expected, value));
}

/**
 * A grpc-naming target as Go's `grpc.Dial("etcd:///" + target)` hands it to etcd's resolver: any
 * key prefix (a leading '/' or none), no empty segment, not ending with '/', its last segment the
 * service name (what readers decode as the name).
 */
function checkTarget(target: unknown, name: string, codec: string, option: string): void {
  if (codec !== 'grpc-naming') throw new RegistryOptionsError(`${option}.target`, messages.targetNeedsNaming(option, codec));
  const ok =
    typeof target === 'string' &&
    target.length > 0 &&
    !target.endsWith('/') &&
    !target
      .slice(target.startsWith('/') ? 1 : 0)
      .split('/')
      .includes('') &&
    target.slice(target.lastIndexOf('/') + 1) === name;
  check(ok, `${option}.target`, messages.targetShape(name), target);
}

/**
 * Validates a registration's instance fields and encodes it with its codec (default
 * `etcd-service`): the key (`path`) and `value` to register. Throws a RegistryOptionsError naming
 * `${option}.<field>` and the fix. Pure.
 */
export function encodeRegistration(
  registration: InstanceRegistration & { codec?: unknown },
  option = 'service',
): { path: string; value: string; codec: string } {
  const r = registration as unknown as Record<string, unknown>;
  const codec = findInstanceCodec(r.codec);
  if (!codec) throw new RegistryOptionsError(`${option}.codec`, messages.codecInvalid(`${option}.codec`, r.codec));
  if (!codec.encode) throw new RegistryOptionsError(`${option}.codec`, messages.codecNotWriter(`${option}.codec`, codec.name));
  const carried = REGISTRATION_FIELDS.filter((f) => f !== 'codec' && r[f] !== undefined);
  if (codec.name === 'etcd-service' && carried.length > 0) {
    throw new RegistryOptionsError(`${option}.codec`, messages.registrationFieldsNeedCodec(option, carried));
  }
  check(isHostPort(r.address), `${option}.address`, 'host:port, such as "10.0.0.5:3000", when a codec writes the value', r.address);
  if (r.endpoints !== undefined) {
    const ok = Array.isArray(r.endpoints) && r.endpoints.every((e) => parseEndpoint(e) !== undefined);
    check(
      ok,
      `${option}.endpoints`,
      'an array of URLs with a scheme and a host, such as ["http://10.0.0.5:3000", "grpc://10.0.0.5:5000"]',
      r.endpoints,
    );
  }
  if (r.version !== undefined) check(isNonEmptyString(r.version), `${option}.version`, 'a non-empty string such as "1.4.2"', r.version);
  if (r.zone !== undefined) check(isNonEmptyString(r.zone), `${option}.zone`, 'a non-empty string such as "eu-west-1a"', r.zone);
  if (r.metadata !== undefined) {
    const m = r.metadata;
    const ok = typeof m === 'object' && m !== null && !Array.isArray(m) && Object.values(m).every((v) => typeof v === 'string');
    check(ok, `${option}.metadata`, 'an object of strings such as { team: "users" }', m);
  }
  if (r.weight !== undefined) {
    check(typeof r.weight === 'number' && Number.isFinite(r.weight) && r.weight >= 0, `${option}.weight`, 'a number >= 0', r.weight);
  }
  if (r.target !== undefined) checkTarget(r.target, String(r.name), codec.name, option);
  if (r.status !== undefined) check(r.status === 'up' || r.status === 'draining', `${option}.status`, '"up" or "draining"', r.status);
  return { ...codec.encode(registration), codec: codec.name };
}
