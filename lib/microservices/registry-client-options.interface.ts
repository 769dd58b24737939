import type { TcpClientOptions, Transport } from '@nestjs/microservices';
import type { CallDeadlineOptions } from '../core/balancing/call-deadlines';
import type { LoadBalancerOptions } from '../core/balancing/load-balancer';
import type { ClientFailureOptions, ClientRetryOptions } from './client-retry';

/** One client of RegistryClientsModule.forRoot({ clients: [...] }). */
export interface RegistryClientOptions
  extends Pick<LoadBalancerOptions, 'prefix' | 'codec' | 'picker' | 'ejection' | 'random'>, CallDeadlineOptions {
  /** Injection token of the ClientProxy, e.g. 'USERS'. */
  name: string | symbol;
  /** The registered service name, e.g. 'user-service'. */
  service: string;
  /** Default Transport.TCP (the only one that dials instances; brokers need no discovery). */
  transport?: Transport.TCP | undefined;
  /** Options of each instance's TCP client, except host and port (taken from the instance's tcp:// endpoint). */
  options?: Omit<NonNullable<TcpClientOptions['options']>, 'host' | 'port'> | undefined;
  /** Retry on another instance. Default: 3 tries, none started after 3000 ms; `send` that may have arrived only with `idempotent`. */
  retry?: ClientRetryOptions | undefined;
  /** Which error answers count as failures of the instance. Default Nest's "Internal server error". */
  failures?: ClientFailureOptions | undefined;
}

/** Options of RegistryClientsModule.forRoot, and what a factory of forRootAsync returns. */
export interface RegistryClientsModuleOptions {
  /** One ClientProxy per entry, provided under its `name`. */
  clients: RegistryClientOptions[];
}

/** A class that builds the module's options (forRootAsync's `useClass` / `useExisting`). */
export interface RegistryClientsOptionsFactory {
  createRegistryClientsOptions(): RegistryClientsModuleOptions | Promise<RegistryClientsModuleOptions>;
}
