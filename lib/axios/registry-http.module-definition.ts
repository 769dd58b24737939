import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { RegistryHttpModuleOptions } from './registry-http-options.interface';

export const {
  ConfigurableModuleClass: RegistryHttpConfigurableModule,
  MODULE_OPTIONS_TOKEN: REGISTRY_HTTP_OPTIONS,
  OPTIONS_TYPE: REGISTRY_HTTP_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: REGISTRY_HTTP_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<RegistryHttpModuleOptions>({ moduleName: 'RegistryHttp' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createRegistryHttpOptions')
  .setExtras({ isGlobal: false }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
