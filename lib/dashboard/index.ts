export { EtcdRegistryDashboardModule } from './etcd-registry-dashboard.module';
export type { EtcdRegistryDashboardOptions } from './dashboard-options';
export type { EtcdRegistryDashboardAsyncOptions } from './etcd-registry-dashboard.module-definition';
export type { DashboardChanges, DashboardInstance, DashboardSnapshot } from './dashboard-snapshot';
