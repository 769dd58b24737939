export { EtcdRegistryDashboardModule } from './etcd-registry-dashboard.module';
export type { EtcdRegistryDashboardOptions } from './dashboard-options';
export type { DashboardInstance, DashboardSnapshot } from './dashboard-snapshot';
