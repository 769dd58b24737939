import type { AxiosAdapter, CreateAxiosDefaults } from 'axios';
import type { CallDeadlineOptions } from '../core/balancing/call-deadlines';
import type { LoadBalancerOptions } from '../core/balancing/load-balancer';
import type { HttpFailureOptions, HttpRetryOptions } from './http-retry';

export interface RegistryHttpModuleOptions
  extends Pick<LoadBalancerOptions, 'prefix' | 'codec' | 'picker' | 'ejection' | 'random'>, CallDeadlineOptions {
  /** Retry of a failed attempt on another instance. Default: 3 tries, none started after 3000 ms; 502, 503, 504 retried for idempotent methods. */
  retry?: HttpRetryOptions | undefined;
  /** Which answers count as failures of the instance. Default every 5xx. */
  failures?: HttpFailureOptions | undefined;
  /** Defaults of the axios instance (headers...). `baseURL: 'http://user-service'` works. */
  axios?: Omit<CreateAxiosDefaults, 'adapter'> | undefined;
  /** The adapter that sends each attempt. Default axios's own (http in Node). */
  adapter?: AxiosAdapter | undefined;
}
