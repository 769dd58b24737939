import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { RegistryEventType } from '../core/events';

/** Options of EtcdRegistryEventEmitterModule.forRoot / forRootAsync. */
export interface EtcdRegistryEventEmitterOptions {
  /** The event types forwarded to EventEmitter2. Default every type. */
  types?: readonly RegistryEventType[] | undefined;
}

export const {
  ConfigurableModuleClass: EtcdRegistryEventEmitterConfigurableModule,
  MODULE_OPTIONS_TOKEN: EVENT_EMITTER_OPTIONS,
  OPTIONS_TYPE: EVENT_EMITTER_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<EtcdRegistryEventEmitterOptions>({ moduleName: 'EtcdRegistryEventEmitter' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createEventEmitterOptions')
  .setExtras({ isGlobal: false }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
