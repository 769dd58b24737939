import { messages } from '../messages';
import { isHostPort, nameAndId, parseEndpoint } from './address';
import type { InstanceCodec } from './instance-codec.interface';
import { makeInstance } from './instance-fields';

/**
 * The Go etcdService layout, the default: key `{prefix}{name}/{id}`, value plain `host:port`
 * (a value that is a URL with a scheme, `http://10.0.0.5:3000`, is read too: its host:port is
 * the address, the URL its endpoint). Reads and writes.
 */
export const etcdServiceCodec: InstanceCodec = {
  name: 'etcd-service',
  decode(entry) {
    const { name, id } = nameAndId(entry.key, '{name}/{id}');
    const endpoint = parseEndpoint(entry.value);
    if (endpoint?.address) return [makeInstance('etcd-service', entry, { name, id, address: endpoint.address, endpoints: [entry.value] })];
    if (!isHostPort(entry.value)) throw new Error(messages.notHostPort('the value', entry.value));
    return [makeInstance('etcd-service', entry, { name, id, address: entry.value })];
  },
  encode({ prefix, name, id, address }) {
    return { path: `${prefix}${name}/${id}`, value: address };
  },
};
