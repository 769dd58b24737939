import { DynamicModule, Module } from '@nestjs/common';
import { RegistryOptionsError } from '../core/errors';
import { clientMessages } from './messages';
import {
  assertClientName,
  REGISTRY_CLIENTS_ASYNC_OPTIONS_TYPE,
  REGISTRY_CLIENTS_OPTIONS_TYPE,
  RegistryClientsConfigurableModule,
} from './registry-clients.module-definition';

/**
 * Like ClientsModule, for services found in etcd: `RegistryClientsModule.forRoot({ clients: [{ name:
 * 'USERS', service: 'user-service', transport: Transport.TCP }] })` provides `@Inject('USERS')
 * ClientProxy` whose calls go to picked live instances; `forRootAsync({ names: ['USERS'], imports,
 * inject, useFactory })` (or `useClass` / `useExisting`) takes the clients' options from a factory
 * (e.g. ConfigService), their tokens (`names`) given beside it. `isGlobal` in either. Needs
 * EtcdRegistryModule with `isGlobal: true`.
 */
@Module({})
export class RegistryClientsModule extends RegistryClientsConfigurableModule {
  static forRoot(options: typeof REGISTRY_CLIENTS_OPTIONS_TYPE): DynamicModule {
    if (!Array.isArray(options?.clients)) throw new RegistryOptionsError('clients', clientMessages.clientsList(options?.clients));
    for (const client of options.clients) assertClientName(client?.name);
    return super.forRoot({ ...options, names: options.clients.map((c) => c.name) });
  }

  static forRootAsync(options: typeof REGISTRY_CLIENTS_ASYNC_OPTIONS_TYPE): DynamicModule {
    if (!Array.isArray(options?.names) || options.names.length === 0)
      throw new RegistryOptionsError('names', clientMessages.asyncNames(options?.names));
    for (const name of options.names) assertClientName(name);
    return super.forRootAsync(options);
  }
}
