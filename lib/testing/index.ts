export { InMemoryRegistry } from './in-memory-registry';
export { InMemoryEtcd } from './in-memory-etcd';
export type { InMemoryEtcdOptions } from './in-memory-etcd';
export type { InMemoryRegistryOptions } from './in-memory-options';
export { EtcdRegistryTestingModule } from './etcd-registry-testing.module';
export type { EtcdRegistryTestingOptions } from './etcd-registry-testing.options';
export { overrideEtcdRegistry } from './override-etcd-registry';
