import { messages } from '../messages';
import { nameAndId } from './address';
import type { InstanceCodec } from './instance-codec.interface';
import { makeInstance, optionalString, parseObject, zoneAndWeight } from './instance-fields';

/** gRPC naming carries any JSON as metadata; the model keeps strings (other values as their JSON). */
function stringMetadata(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  const map: Record<string, string> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) map[k] = typeof v === 'string' ? v : JSON.stringify(v);
  return map;
}

/** The naming target a registration is announced under: its `target`, else `{prefix}{name}`. */
export function namingTarget(r: { prefix: string; name: string; target?: string }): string {
  return r.target ?? `${r.prefix}${r.name}`;
}

/**
 * etcd's gRPC naming (clientv3/naming: the endpoints manager and the resolver behind
 * `grpc.Dial("etcd:///{target}")`): key `{target}/{addr}`, value
 * `{"Op":0,"Addr":"10.0.0.5:5000","Metadata":...}`. The service name is the target's last
 * segment, the id the address. Writes it too, under the registration's `target` as Go dials it
 * (`foo/bar/my-service`, dialled `etcd:///foo/bar/my-service`; any prefix, a leading '/' or none),
 * or else `{prefix}{name}` (dialled `etcd:///` + that, e.g. `etcd:////services/greeter`): version,
 * zone and weight travel in Metadata.
 */
export const grpcNamingCodec: InstanceCodec = {
  name: 'grpc-naming',
  decode(entry) {
    const { name } = nameAndId(entry.key, '{target}/{addr}');
    const o = parseObject(entry.value);
    if (o.Op !== undefined && o.Op !== 0) throw new Error(messages.namingOp(o.Op));
    const address = optionalString(o, 'Addr') ?? '';
    const metadata = stringMetadata(o.Metadata);
    return [
      makeInstance('grpc-naming', entry, { name, id: address, address, version: metadata.version, metadata, ...zoneAndWeight(metadata) }),
    ];
  },
  encode(r) {
    const metadata: Record<string, string> = { ...r.metadata };
    if (r.version !== undefined) metadata.version = r.version;
    if (r.zone !== undefined) metadata.zone = r.zone;
    if (r.weight !== undefined) metadata.weight = String(r.weight);
    const value = { Op: 0, Addr: r.address, Metadata: Object.keys(metadata).length > 0 ? metadata : null };
    return { path: `${namingTarget(r)}/${r.address}`, value: JSON.stringify(value) };
  },
};
