export { EtcdRegistryHealthIndicator } from './etcd-registry.health-indicator';
export type { EtcdRegistryHealthOptions } from './etcd-registry.health-indicator';
export { checkRegistryHealth, ALL_HEALTH_CHECKS } from './registry-health';
export type { RegistryHealthCheck, RegistryHealthDetails, RegistryHealthInput } from './registry-health';
