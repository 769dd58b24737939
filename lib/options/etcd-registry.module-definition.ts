import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { EtcdRegistryModuleOptions } from './interfaces';

export const {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: ETCD_REGISTRY_MODULE_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<EtcdRegistryModuleOptions>({ moduleName: 'EtcdRegistry' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createEtcdRegistryOptions')
  .setExtras({ isGlobal: false }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
