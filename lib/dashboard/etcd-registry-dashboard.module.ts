import { DynamicModule, Module } from '@nestjs/common';
import { DASHBOARD_OPTIONS } from './dashboard.constants';
import { dashboardController } from './dashboard.controller';
import { DashboardFeed } from './dashboard-feed';
import { EtcdRegistryDashboardOptions, resolveDashboardOptions } from './dashboard-options';

/**
 * A live, read-only page of the instances under a prefix: `GET {path}` (HTML) and
 * `GET {path}/events` (server-sent events). Off unless imported; uses the application's registry
 * (EtcdRegistryModule), so it needs no options of its own to reach etcd.
 *
 * ```ts
 * imports: [EtcdRegistryModule.forRoot({ ... }), EtcdRegistryDashboardModule.forRoot({ path: '/registry' })]
 * ```
 */
@Module({})
export class EtcdRegistryDashboardModule {
  /** Options are resolved here: a bad one fails the application's creation with a RegistryOptionsError naming it. */
  static forRoot(options: EtcdRegistryDashboardOptions = {}): DynamicModule {
    const resolved = resolveDashboardOptions(options);
    return {
      module: EtcdRegistryDashboardModule,
      controllers: [dashboardController(resolved.path)],
      providers: [{ provide: DASHBOARD_OPTIONS, useValue: resolved }, DashboardFeed],
    };
  }
}
