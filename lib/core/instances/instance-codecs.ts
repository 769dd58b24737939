import { RegistryArgumentError } from '../errors';
import { messages } from '../messages';
import { etcdServiceCodec } from './etcd-service.codec';
import { goMicroCodec } from './go-micro.codec';
import { goZeroCodec } from './go-zero.codec';
import { grpcNamingCodec } from './grpc-naming.codec';
import type { InstanceCodec, InstanceCodecChoice, InstanceCodecName } from './instance-codec.interface';
import { jsonCodec } from './json.codec';
import { kratosCodec } from './kratos.codec';

/** The codecs this library ships, by name. */
export const INSTANCE_CODECS: Readonly<Record<InstanceCodecName, InstanceCodec>> = Object.freeze({
  'etcd-service': etcdServiceCodec,
  json: jsonCodec,
  'go-zero': goZeroCodec,
  kratos: kratosCodec,
  'go-micro': goMicroCodec,
  'grpc-naming': grpcNamingCodec,
});

/** The default codec: the Go etcdService layout (plain host:port). */
export const DEFAULT_INSTANCE_CODEC: InstanceCodecName = 'etcd-service';

/** The codec a name or object stands for; undefined when it is neither a shipped name nor a codec object. */
export function findInstanceCodec(choice: unknown): InstanceCodec | undefined {
  if (choice === undefined) return INSTANCE_CODECS[DEFAULT_INSTANCE_CODEC];
  if (typeof choice === 'string')
    return Object.prototype.hasOwnProperty.call(INSTANCE_CODECS, choice) ? INSTANCE_CODECS[choice as InstanceCodecName] : undefined;
  if (typeof choice !== 'object' || choice === null) return undefined;
  const codec = choice as Partial<InstanceCodec>;
  const valid = typeof codec.name === 'string' && codec.name.length > 0 && typeof codec.decode === 'function';
  return valid && (codec.encode === undefined || typeof codec.encode === 'function') ? (codec as InstanceCodec) : undefined;
}

/** As findInstanceCodec, but throws a RegistryArgumentError naming `argument` for anything else. */
export function resolveInstanceCodec(choice: InstanceCodecChoice | undefined, argument = 'codec'): InstanceCodec {
  const codec = findInstanceCodec(choice);
  if (!codec) throw new RegistryArgumentError(argument, messages.codecInvalid(argument, choice));
  return codec;
}
