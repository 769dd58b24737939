import { ConfigurableModuleBuilder } from '@nestjs/common';
import { DEFAULT_GRPC_SCHEME } from './grpc-name-resolver';
import type { RegistryGrpcModuleOptions } from './registry-grpc-options.interface';

/** The scheme of the module's targets: an extra, known when forRoot / forRootAsync is called (before any channel exists). */
export const REGISTRY_GRPC_SCHEME = Symbol('etcd-registry:grpc-scheme');

export const {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: REGISTRY_GRPC_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<RegistryGrpcModuleOptions>({ moduleName: 'RegistryGrpc' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createRegistryGrpcOptions')
  .setExtras({ isGlobal: false, scheme: DEFAULT_GRPC_SCHEME }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
    providers: [...(definition.providers ?? []), { provide: REGISTRY_GRPC_SCHEME, useValue: extras.scheme }],
  }))
  .build();
