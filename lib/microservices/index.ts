export { RegistryClientsModule } from './registry-clients.module';
export { RegistryClientProxy, TCP_ADDRESSING } from './registry-client.proxy';
export type { RegistryClientOptions } from './registry-client-options.interface';
export { clientFailureKind } from './client-retry';
export type { ClientRetryOptions } from './client-retry';
