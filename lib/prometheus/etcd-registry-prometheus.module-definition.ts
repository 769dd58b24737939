import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { PrometheusMetricsOptions } from './prometheus-metrics';

export const {
  ConfigurableModuleClass: EtcdRegistryPrometheusConfigurableModule,
  MODULE_OPTIONS_TOKEN: PROMETHEUS_OPTIONS,
  OPTIONS_TYPE: PROMETHEUS_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<PrometheusMetricsOptions>({ moduleName: 'EtcdRegistryPrometheus' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createPrometheusMetricsOptions')
  .setExtras({ isGlobal: false }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
