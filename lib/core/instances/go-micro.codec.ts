import { messages } from '../messages';
import { isHostPort, nameAndId } from './address';
import type { InstanceCodec } from './instance-codec.interface';
import { makeInstance, optionalString, optionalStringMap, parseObject, zoneAndWeight } from './instance-fields';
import type { ServiceInstance } from './service-instance';

/**
 * go-micro's etcd registry: key `/micro/registry/{service}/{node}`, value the JSON of
 * registry.Service with its node(s): `{"name","version","metadata","endpoints":[...],"nodes":
 * [{"id","address":"10.0.0.5:8080","metadata":{...}}]}`. One instance per node; its metadata is
 * the service's merged with the node's; zone and weight come from metadata keys `zone` and
 * `weight`. go-micro's `endpoints` describe RPC methods, not URLs: instances have none. A v1 node
 * with a separate `port` is read too. Read only.
 */
export const goMicroCodec: InstanceCodec = {
  name: 'go-micro',
  decode(entry) {
    const fromKey = nameAndId(entry.key, '{service}/{node}');
    const o = parseObject(entry.value);
    const name = optionalString(o, 'name') || fromKey.name;
    const version = optionalString(o, 'version');
    const serviceMetadata = optionalStringMap(o, 'metadata');
    if (!Array.isArray(o.nodes) || o.nodes.length === 0) throw new Error(messages.microNoNodes());
    return o.nodes.map((node: unknown, i: number): ServiceInstance => {
      const path = `nodes[${i}]`;
      if (typeof node !== 'object' || node === null || Array.isArray(node)) throw new Error(messages.fieldType(path, 'an object'));
      const n = node as Record<string, unknown>;
      let address = optionalString(n, 'address', `${path}.address`) ?? '';
      if (!isHostPort(address) && typeof n.port === 'number' && n.port > 0) address = `${address}:${n.port}`;
      const metadata = { ...serviceMetadata, ...optionalStringMap(n, 'metadata', `${path}.metadata`) };
      return makeInstance('go-micro', entry, {
        name,
        id: optionalString(n, 'id', `${path}.id`) || fromKey.id,
        address,
        version,
        metadata,
        ...zoneAndWeight(metadata),
      });
    });
  },
};
