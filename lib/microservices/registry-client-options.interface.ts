import type { TcpClientOptions, Transport } from '@nestjs/microservices';
import type { LoadBalancerOptions } from '../core/balancing/load-balancer';
import type { ClientRetryOptions } from './client-retry';

/** One client of RegistryClientsModule.register([...]). */
export interface RegistryClientOptions extends Pick<LoadBalancerOptions, 'prefix' | 'codec' | 'picker' | 'ejection' | 'random'> {
  /** Injection token of the ClientProxy, e.g. 'USERS'. */
  name: string | symbol;
  /** The registered service name, e.g. 'user-service'. */
  service: string;
  /** Default Transport.TCP (the only one that dials instances; brokers need no discovery). */
  transport?: Transport.TCP;
  /** Options of each instance's TCP client, except host and port (taken from the instance's tcp:// endpoint). */
  options?: Omit<NonNullable<TcpClientOptions['options']>, 'host' | 'port'>;
  /** Retry on another instance. Default: 3 tries within 3000 ms; `send` after a dropped connection only with `idempotent`. */
  retry?: ClientRetryOptions;
}
