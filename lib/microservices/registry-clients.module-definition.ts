import { ConfigurableModuleBuilder, Provider } from '@nestjs/common';
import { RegistryOptionsError } from '../core/errors';
import { RegistryService } from '../service/registry.service';
import { clientMessages } from './messages';
import type { RegistryClientOptions, RegistryClientsModuleOptions } from './registry-client-options.interface';
import { RegistryClientProxy } from './registry-client.proxy';

const REGISTRY = { token: RegistryService, optional: true };

export const {
  ConfigurableModuleClass: RegistryClientsConfigurableModule,
  MODULE_OPTIONS_TOKEN: REGISTRY_CLIENTS_OPTIONS,
  OPTIONS_TYPE: REGISTRY_CLIENTS_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: REGISTRY_CLIENTS_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<RegistryClientsModuleOptions>({ moduleName: 'RegistryClients' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createRegistryClientsOptions')
  // `names`: the clients' injection tokens, known before a factory runs (forRoot takes them from `clients`).
  .setExtras({ isGlobal: false, names: [] as (string | symbol)[] }, (definition, extras) => {
    const providers: Provider[] = extras.names.map((name) => ({
      provide: name,
      useFactory: (options: RegistryClientsModuleOptions, registry?: RegistryService) =>
        RegistryClientProxy.create(clientNamed(options, name, extras.names), registry),
      inject: [REGISTRY_CLIENTS_OPTIONS, REGISTRY],
    }));
    return {
      ...definition,
      global: extras.isGlobal,
      providers: [...(definition.providers ?? []), ...providers],
      exports: [...(definition.exports ?? []), ...extras.names],
    };
  })
  .build();

/** The options of client `name` among those given (by forRoot, or by forRootAsync's factory). */
function clientNamed(
  options: RegistryClientsModuleOptions,
  name: string | symbol,
  names: readonly (string | symbol)[],
): RegistryClientOptions {
  const clients = Array.isArray(options?.clients) ? options.clients : [];
  const extra = clients.find((c) => !names.includes(c?.name));
  if (extra) throw new RegistryOptionsError('names', clientMessages.notInNames(String(extra.name)));
  const client = clients.find((c) => c?.name === name);
  if (!client) {
    throw new RegistryOptionsError(
      'clients',
      clientMessages.notFromFactory(
        String(name),
        clients.map((c) => String(c?.name)),
      ),
    );
  }
  return client;
}

export function assertClientName(name: unknown): asserts name is string | symbol {
  if (typeof name !== 'string' && typeof name !== 'symbol') throw new RegistryOptionsError('name', clientMessages.clientName(name));
}
