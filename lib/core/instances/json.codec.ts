import { messages } from '../messages';
import { nameAndId, parseEndpoint } from './address';
import { etcdServiceCodec } from './etcd-service.codec';
import type { InstanceCodec } from './instance-codec.interface';
import { makeInstance, optionalString, optionalStringArray, optionalStringMap, parseObject } from './instance-fields';
import type { InstanceStatus } from './service-instance';

/** The major version of our JSON value. A reader skips (and names) a version it does not know. */
export const JSON_FORMAT_VERSION = 1;

const NO_ENDPOINTS: readonly string[] = Object.freeze([]);
const NO_PARSED: readonly ReturnType<typeof parseEndpoint>[] = Object.freeze([]);
const STATUSES: readonly InstanceStatus[] = ['up', 'draining'];

/**
 * Our own JSON value under the etcdService key layout `{prefix}{name}/{id}`:
 * `{"v":1,"address":"10.0.0.5:3000","endpoints":["http://10.0.0.5:3000"],"version":"1.4.2",
 * "metadata":{"team":"users"},"zone":"eu-west-1a","weight":100,"status":"up"}` (only `v` and an
 * address, or an endpoint with host and port, are required). A value that is not a JSON object
 * (`{`...) is read as the etcdService's plain `host:port`, so one watch reads a prefix where Go
 * etcdService instances and Nest instances writing JSON live side by side. Reads and writes.
 */
export const jsonCodec: InstanceCodec = {
  name: 'json',
  decode(entry) {
    // The first character tested first: trimStart makes a string per value (a CLI decodes 10,000).
    if (entry.value.charCodeAt(0) !== 0x7b && !entry.value.trimStart().startsWith('{')) return etcdServiceCodec.decode(entry);
    const { name, id } = nameAndId(entry.key, '{name}/{id}');
    const o = parseObject(entry.value);
    if (o.v !== JSON_FORMAT_VERSION) throw new Error(messages.jsonFormatVersion(o.v));
    const endpoints = optionalStringArray(o, 'endpoints') ?? NO_ENDPOINTS;
    const parsed = endpoints.length === 0 ? NO_PARSED : endpoints.map((e) => parseEndpoint(e));
    const bad = parsed.findIndex((p) => p === undefined);
    if (bad >= 0)
      throw new Error(messages.fieldType(`endpoints[${bad}]`, 'a URL with a scheme and a host, such as "http://10.0.0.5:3000"'));
    const address = optionalString(o, 'address') ?? parsed.find((p) => p?.address)?.address;
    if (address === undefined) throw new Error(messages.noAddress());
    const weight = o.weight;
    if (weight !== undefined && (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0)) {
      throw new Error(messages.fieldType('weight', 'a number >= 0'));
    }
    const status = o.status;
    if (status !== undefined && !STATUSES.includes(status as InstanceStatus))
      throw new Error(messages.fieldType('status', '"up" or "draining"'));
    return [
      makeInstance('json', entry, {
        name,
        id,
        address,
        endpoints,
        version: optionalString(o, 'version'),
        metadata: optionalStringMap(o, 'metadata'),
        zone: optionalString(o, 'zone'),
        weight,
        status: status as InstanceStatus | undefined,
      }),
    ];
  },
  encode(r) {
    const value = {
      v: JSON_FORMAT_VERSION,
      address: r.address,
      endpoints: r.endpoints && r.endpoints.length > 0 ? r.endpoints : undefined,
      version: r.version,
      metadata: r.metadata && Object.keys(r.metadata).length > 0 ? r.metadata : undefined,
      zone: r.zone,
      weight: r.weight,
      status: r.status ?? 'up',
    };
    return { path: `${r.prefix}${r.name}/${r.id}`, value: JSON.stringify(value) };
  },
};
