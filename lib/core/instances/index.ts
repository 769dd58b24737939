export type {
  InstanceChanges,
  InstanceHandler,
  InstanceMap,
  InstanceRegistration,
  InstanceStatus,
  ServiceInstance,
  SkippedEntry,
} from './service-instance';
export type { InstanceCodec, InstanceCodecChoice, InstanceCodecName, InstanceEntry } from './instance-codec.interface';
export { DEFAULT_INSTANCE_CODEC, INSTANCE_CODECS, findInstanceCodec, resolveInstanceCodec } from './instance-codecs';
export { JSON_FORMAT_VERSION } from './json.codec';
export { InstanceDecoder } from './instance-decoder';
export { getInstances } from './get-instances';
export type { InstanceSource, InstanceWatchOptions } from './get-instances';
export { watchInstances } from './watch-instances';
export { encodeRegistration, REGISTRATION_FIELDS } from './registration';
export type { InstanceRegistrationFields } from './registration';
