export { EtcdRegistryEventEmitterModule, EtcdRegistryEventBridge, registryEventName } from './etcd-registry-event-emitter.module';
