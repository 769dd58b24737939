import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { EtcdRegistryTestingOptions } from './etcd-registry-testing.options';

export const {
  ConfigurableModuleClass: EtcdRegistryTestingConfigurableModule,
  MODULE_OPTIONS_TOKEN: ETCD_REGISTRY_TESTING_OPTIONS,
  OPTIONS_TYPE: TESTING_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<Omit<EtcdRegistryTestingOptions, 'isGlobal'>>({ moduleName: 'EtcdRegistryTesting' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createEtcdRegistryTestingOptions')
  .setExtras({ isGlobal: false }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
