import { messages } from '../messages';
import { isHostPort } from './address';
import type { InstanceEntry } from './instance-codec.interface';
import type { InstanceStatus, ServiceInstance } from './service-instance';

/** The parts of an instance a codec reads from the key and the value. */
export interface DecodedFields {
  name: string;
  id: string;
  address: string;
  endpoints?: readonly string[] | undefined;
  version?: string | undefined;
  metadata?: Record<string, string> | undefined;
  zone?: string | undefined;
  weight?: number | undefined;
  status?: InstanceStatus | undefined;
}

const EMPTY: readonly string[] = Object.freeze([]);
/** The metadata of an instance without any: one frozen object for all (a CLI makes 10,000 instances). */
const NO_METADATA: Readonly<Record<string, string>> = Object.freeze({});

/** A frozen ServiceInstance with the defaults applied; throws when the address is not host:port. */
export function makeInstance(codec: string, entry: InstanceEntry, fields: DecodedFields): ServiceInstance {
  if (!isHostPort(fields.address)) throw new Error(messages.notHostPort('the address', fields.address));
  const instance: ServiceInstance = {
    name: fields.name,
    id: fields.id,
    address: fields.address,
    endpoints: fields.endpoints && fields.endpoints.length > 0 ? Object.freeze([...fields.endpoints]) : EMPTY,
    version: fields.version || undefined,
    metadata: fields.metadata ? Object.freeze({ ...fields.metadata }) : NO_METADATA,
    zone: fields.zone || undefined,
    weight: fields.weight ?? 1,
    status: fields.status ?? 'up',
    key: entry.key,
    value: entry.value,
    revision: entry.revision,
    codec,
  };
  return Object.freeze(instance);
}

/** Parses a value that must be a JSON object. */
export function parseObject(value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    throw new Error(messages.notJson(error instanceof Error ? error.message : String(error)));
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(messages.notJsonObject());
  return parsed as Record<string, unknown>;
}

/** An optional string field. */
export function optionalString(object: Record<string, unknown>, field: string, path = field): string | undefined {
  const value = object[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new Error(messages.fieldType(path, 'a string'));
  return value;
}

/** An optional map of strings (`map[string]string` in Go); null counts as absent. */
export function optionalStringMap(object: Record<string, unknown>, field: string, path = field): Record<string, string> | undefined {
  const value = object[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw new Error(messages.fieldType(path, 'an object of strings'));
  const map: Record<string, string> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v !== 'string') throw new Error(messages.fieldType(`${path}.${k}`, 'a string'));
    map[k] = v;
  }
  return map;
}

/** An optional array of strings; null counts as absent. */
export function optionalStringArray(object: Record<string, unknown>, field: string): string[] | undefined {
  const value = object[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new Error(messages.fieldType(field, 'an array of strings'));
  return value as string[];
}

/**
 * Formats without zone and weight fields (kratos, go-micro, gRPC naming) carry them, by
 * convention, in the metadata: `zone`, and `weight` (kratos's weighted balancers read it there).
 * A weight that is not a number >= 0 is ignored (the default 1 applies).
 */
export function zoneAndWeight(metadata: Record<string, string> | undefined): { zone?: string; weight?: number } {
  if (!metadata) return {};
  const weight = metadata.weight === undefined || metadata.weight.trim() === '' ? NaN : Number(metadata.weight);
  return { zone: metadata.zone || undefined, weight: Number.isFinite(weight) && weight >= 0 ? weight : undefined };
}
