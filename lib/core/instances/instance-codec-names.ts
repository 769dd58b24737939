import type { InstanceCodecName } from './instance-codec.interface';

/**
 * The names of the codecs this library ships, in INSTANCE_CODECS's order (instance-codecs.ts;
 * test/unit/instance-codecs.spec.ts checks they match): for a caller that checks a name without
 * loading the codecs (the CLI checks --codec before it contacts etcd, and loads them while etcd answers).
 */
export const INSTANCE_CODEC_NAMES: readonly InstanceCodecName[] = Object.freeze([
  'etcd-service',
  'json',
  'go-zero',
  'kratos',
  'go-micro',
  'grpc-naming',
]);

/** Whether `name` is a shipped codec's name. */
export function isInstanceCodecName(name: string): name is InstanceCodecName {
  return (INSTANCE_CODEC_NAMES as readonly string[]).includes(name);
}
