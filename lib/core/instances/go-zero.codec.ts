import { messages } from '../messages';
import { isHostPort, nameAndId } from './address';
import type { InstanceCodec } from './instance-codec.interface';
import { makeInstance } from './instance-fields';

/**
 * go-zero's discov Publisher: key `{key}/{id}`, where `{key}` is the service's etcd key (e.g.
 * `user.rpc`, so watch `user.rpc/`) and `{id}` the lease id in decimal (or the id given with
 * WithId), value the plain address. The name is the key's last segment before the id. Read only.
 */
export const goZeroCodec: InstanceCodec = {
  name: 'go-zero',
  decode(entry) {
    const { name, id } = nameAndId(entry.key, '{key}/{leaseID}');
    if (!/^\d+$/.test(id)) throw new Error(messages.goZeroId(id));
    if (!isHostPort(entry.value)) throw new Error(messages.notHostPort('the value', entry.value));
    return [makeInstance('go-zero', entry, { name, id, address: entry.value })];
  },
};
