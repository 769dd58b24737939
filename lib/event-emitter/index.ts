export { EtcdRegistryEventEmitterModule, EtcdRegistryEventBridge, registryEventName } from './etcd-registry-event-emitter.module';
export type { EtcdRegistryEventEmitterOptions } from './etcd-registry-event-emitter.module-definition';
