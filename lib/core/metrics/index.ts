export { InstanceCounts } from './instance-counts';
export type { CountedPrefix, InstanceCount } from './instance-counts';
export { watchLagSeconds } from './watch-lag';
export type { RegistryMetricsHandle } from './metrics-handle.interface';
