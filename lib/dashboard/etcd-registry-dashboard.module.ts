import { DynamicModule, Module } from '@nestjs/common';
import { DASHBOARD_OPTIONS } from './dashboard.constants';
import { DashboardFeed } from './dashboard-feed';
import { resolveDashboardOptions } from './dashboard-options';
import {
  DASHBOARD_MODULE_OPTIONS,
  DASHBOARD_OPTIONS_TYPE,
  DASHBOARD_PATH,
  EtcdRegistryDashboardAsyncOptions,
  EtcdRegistryDashboardConfigurableModule,
} from './etcd-registry-dashboard.module-definition';

/**
 * A live, read-only page of the instances under a prefix: `GET {path}` (HTML) and
 * `GET {path}/events` (server-sent events). Off unless imported; uses the application's registry
 * (EtcdRegistryModule), so it needs no options of its own to reach etcd.
 *
 * ```ts
 * imports: [EtcdRegistryModule.forRoot({ ... }), EtcdRegistryDashboardModule.forRoot({ path: '/registry' })]
 * ```
 *
 * `forRootAsync({ path, imports, inject, useFactory })` (or `useClass` / `useExisting`) takes the
 * prefix and the codec from a factory; the path is given beside it.
 */
@Module({
  providers: [
    {
      provide: DASHBOARD_OPTIONS,
      useFactory: (options: EtcdRegistryDashboardAsyncOptions, path: string) => resolveDashboardOptions({ ...options, path }),
      inject: [DASHBOARD_MODULE_OPTIONS, DASHBOARD_PATH],
    },
    DashboardFeed,
  ],
})
export class EtcdRegistryDashboardModule extends EtcdRegistryDashboardConfigurableModule {
  /** Options are resolved here: a bad one fails the application's creation with a RegistryOptionsError naming it. */
  static forRoot(options: typeof DASHBOARD_OPTIONS_TYPE = {}): DynamicModule {
    resolveDashboardOptions(options);
    return super.forRoot(options);
  }
}
