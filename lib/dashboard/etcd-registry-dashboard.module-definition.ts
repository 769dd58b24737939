import { ConfigurableModuleBuilder } from '@nestjs/common';
import { dashboardController } from './dashboard.controller';
import { DEFAULT_DASHBOARD_PATH, EtcdRegistryDashboardOptions, resolveDashboardOptions } from './dashboard-options';

/** Where the page is served: an extra (the controller's route is fixed when forRoot / forRootAsync is called). */
export const DASHBOARD_PATH = Symbol('etcd-registry:dashboard-path');

/** What a factory of forRootAsync gives: every option but `path`, which is given beside it. */
export type EtcdRegistryDashboardAsyncOptions = Omit<EtcdRegistryDashboardOptions, 'path'>;

export const {
  ConfigurableModuleClass: EtcdRegistryDashboardConfigurableModule,
  MODULE_OPTIONS_TOKEN: DASHBOARD_MODULE_OPTIONS,
  OPTIONS_TYPE: DASHBOARD_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: DASHBOARD_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<EtcdRegistryDashboardAsyncOptions>({ moduleName: 'EtcdRegistryDashboard' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createDashboardOptions')
  .setExtras({ isGlobal: false, path: DEFAULT_DASHBOARD_PATH }, (definition, extras) => {
    // A bad path fails here, at forRoot / forRootAsync, naming it (RegistryOptionsError).
    const { path } = resolveDashboardOptions({ path: extras.path });
    return {
      ...definition,
      global: extras.isGlobal,
      controllers: [dashboardController(path)],
      providers: [...(definition.providers ?? []), { provide: DASHBOARD_PATH, useValue: extras.path }],
    };
  })
  .build();
