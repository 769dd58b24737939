import { DynamicModule, Module, Provider } from '@nestjs/common';
import { RegistryService } from '../service/registry.service';
import type { RegistryClientAsyncOptions, RegistryClientOptions, RegistryClientOptionsFactory } from './registry-client-options.interface';
import { RegistryClientProxy } from './registry-client.proxy';
import { RegistryOptionsError } from '../core/errors';
import { clientMessages } from './messages';

const REGISTRY = { token: RegistryService, optional: true };

/**
 * Like ClientsModule, for services found in etcd: `RegistryClientsModule.register([{ name: 'USERS',
 * service: 'user-service', transport: Transport.TCP }])` provides `@Inject('USERS') ClientProxy`
 * whose calls go to picked live instances; `registerAsync([{ name: 'USERS', imports, useFactory,
 * inject }])` takes each client's options from a factory (e.g. ConfigService), as
 * ClientsModule.registerAsync does. Needs EtcdRegistryModule with `isGlobal: true`.
 */
@Module({})
export class RegistryClientsModule {
  static register(clients: RegistryClientOptions[], extras: { isGlobal?: boolean } = {}): DynamicModule {
    const providers: Provider[] = clients.map((options) => {
      assertName(options?.name);
      return {
        provide: options.name,
        useFactory: (registry?: RegistryService) => RegistryClientProxy.create(options, registry),
        inject: [REGISTRY],
      };
    });
    return { module: RegistryClientsModule, global: extras.isGlobal, providers, exports: providers };
  }

  static registerAsync(clients: RegistryClientAsyncOptions[], extras: { isGlobal?: boolean } = {}): DynamicModule {
    const providers: Provider[] = [];
    const imports = new Set<NonNullable<RegistryClientAsyncOptions['imports']>[number]>();
    for (const client of clients) {
      assertName(client?.name);
      const { name } = client;
      for (const i of client.imports ?? []) imports.add(i);
      providers.push(...(client.extraProviders ?? []));
      const optionsToken = Symbol(`etcd-registry:client-options:${String(name)}`);
      if (client.useFactory) {
        providers.push({ provide: optionsToken, useFactory: client.useFactory, inject: client.inject ?? [] });
      } else if (client.useClass || client.useExisting) {
        const factoryClass = (client.useExisting ?? client.useClass)!;
        if (client.useClass) providers.push({ provide: client.useClass, useClass: client.useClass });
        providers.push({
          provide: optionsToken,
          useFactory: (factory: RegistryClientOptionsFactory) => factory.createRegistryClientOptions(),
          inject: [factoryClass],
        });
      } else {
        throw new RegistryOptionsError('useFactory', clientMessages.asyncClient(String(name)));
      }
      providers.push({
        provide: name,
        useFactory: (options: Omit<RegistryClientOptions, 'name'>, registry?: RegistryService) =>
          RegistryClientProxy.create({ ...options, name }, registry),
        inject: [optionsToken, REGISTRY],
      });
    }
    return {
      module: RegistryClientsModule,
      global: extras.isGlobal,
      imports: [...imports],
      providers,
      exports: clients.map((c) => c.name),
    };
  }
}

function assertName(name: unknown): asserts name is string | symbol {
  if (typeof name !== 'string' && typeof name !== 'symbol') throw new RegistryOptionsError('name', clientMessages.clientName(name));
}
