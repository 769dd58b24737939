import { DynamicModule, Module, Provider } from '@nestjs/common';
import { RegistryService } from '../registry.service';
import type { RegistryClientOptions } from './registry-client-options.interface';
import { RegistryClientProxy } from './registry-client.proxy';
import { RegistryOptionsError } from '../core/errors';
import { clientMessages } from './messages';

/**
 * Like ClientsModule, for services found in etcd: `RegistryClientsModule.register([{ name: 'USERS',
 * service: 'user-service', transport: Transport.TCP }])` provides `@Inject('USERS') ClientProxy`
 * whose calls go to picked live instances. Needs EtcdRegistryModule with `isGlobal: true`.
 */
@Module({})
export class RegistryClientsModule {
  static register(clients: RegistryClientOptions[], extras: { isGlobal?: boolean } = {}): DynamicModule {
    const providers: Provider[] = clients.map((options) => {
      if (typeof options?.name !== 'string' && typeof options?.name !== 'symbol')
        throw new RegistryOptionsError('name', clientMessages.clientName(options?.name));
      return {
        provide: options.name,
        useFactory: (registry?: RegistryService) => RegistryClientProxy.create(options, registry),
        inject: [{ token: RegistryService, optional: true }],
      };
    });
    return { module: RegistryClientsModule, global: extras.isGlobal, providers, exports: providers };
  }
}
