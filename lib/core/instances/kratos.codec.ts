import { messages } from '../messages';
import { nameAndId, parseEndpoint } from './address';
import type { InstanceCodec } from './instance-codec.interface';
import { makeInstance, optionalString, optionalStringArray, optionalStringMap, parseObject, zoneAndWeight } from './instance-fields';

/**
 * go-kratos's etcd registry (contrib/registry/etcd): key `/microservices/{name}/{id}` (the
 * namespace option changes `/microservices`), value the JSON of registry.ServiceInstance:
 * `{"id","name","version","metadata","endpoints":["http://10.0.0.5:8000?isSecure=false","grpc://..."]}`.
 * The address is the host:port of the first endpoint that has one; zone and weight come from the
 * metadata keys `zone` and `weight`. Read only.
 */
export const kratosCodec: InstanceCodec = {
  name: 'kratos',
  decode(entry) {
    const fromKey = nameAndId(entry.key, '{name}/{id}');
    const o = parseObject(entry.value);
    const endpoints = optionalStringArray(o, 'endpoints') ?? [];
    const address = endpoints.map((e) => parseEndpoint(e)?.address).find((a) => a !== undefined);
    if (address === undefined) throw new Error(messages.noAddress());
    const metadata = optionalStringMap(o, 'metadata');
    return [
      makeInstance('kratos', entry, {
        name: optionalString(o, 'name') || fromKey.name,
        id: optionalString(o, 'id') || fromKey.id,
        address,
        endpoints,
        version: optionalString(o, 'version'),
        metadata,
        ...zoneAndWeight(metadata),
      }),
    ];
  },
};
