import type { TcpClientOptions, Transport } from '@nestjs/microservices';
import type { ModuleMetadata, Provider, Type } from '@nestjs/common';
import type { CallDeadlineOptions } from '../core/balancing/call-deadlines';
import type { LoadBalancerOptions } from '../core/balancing/load-balancer';
import type { ClientFailureOptions, ClientRetryOptions } from './client-retry';

/** One client of RegistryClientsModule.register([...]). */
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

/** A class that builds a client's options (registerAsync's `useClass` / `useExisting`). */
export interface RegistryClientOptionsFactory {
  createRegistryClientOptions(): Omit<RegistryClientOptions, 'name'> | Promise<Omit<RegistryClientOptions, 'name'>>;
}

/** One client of RegistryClientsModule.registerAsync([...]): its token, and its options from a factory (as ClientsModule.registerAsync). */
export interface RegistryClientAsyncOptions {
  imports?: ModuleMetadata['imports'] | undefined;
  /** Injection token of the ClientProxy, e.g. 'USERS'. */
  name: string | symbol;
  useFactory?: ((...args: any[]) => Omit<RegistryClientOptions, 'name'> | Promise<Omit<RegistryClientOptions, 'name'>>) | undefined;
  inject?: any[] | undefined;
  useClass?: Type<RegistryClientOptionsFactory> | undefined;
  useExisting?: Type<RegistryClientOptionsFactory> | undefined;
  extraProviders?: Provider[] | undefined;
}
