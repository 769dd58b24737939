export { RegistryClientsModule } from './registry-clients.module';
export { RegistryClientProxy, TCP_ADDRESSING } from './registry-client.proxy';
export type {
  RegistryClientOptions,
  RegistryClientsModuleOptions,
  RegistryClientsOptionsFactory,
} from './registry-client-options.interface';
export { clientFailureKind, isInternalServerError } from './client-retry';
export type { ClientFailureOptions, ClientRetryOptions, RpcErrorMatch } from './client-retry';
