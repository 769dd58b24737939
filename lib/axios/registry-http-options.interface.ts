import type { AxiosAdapter, CreateAxiosDefaults } from 'axios';
import type { LoadBalancerOptions } from '../core/balancing/load-balancer';
import type { HttpRetryOptions } from './http-retry';

export interface RegistryHttpModuleOptions extends Pick<LoadBalancerOptions, 'prefix' | 'codec' | 'picker' | 'ejection' | 'random'> {
  /** Retry of a failed attempt on another instance. Default: 3 tries within 3000 ms. */
  retry?: HttpRetryOptions;
  /** Defaults of the axios instance (timeout, headers...). `baseURL: 'http://user-service'` works. */
  axios?: Omit<CreateAxiosDefaults, 'adapter'>;
  /** The adapter that sends each attempt. Default axios's own (http in Node). */
  adapter?: AxiosAdapter;
  /** Register the module globally. */
  isGlobal?: boolean;
}
