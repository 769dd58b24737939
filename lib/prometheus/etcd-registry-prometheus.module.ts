import { DynamicModule, Inject, Injectable, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { RegistryService } from '../service/registry.service';
import {
  EtcdRegistryPrometheusConfigurableModule,
  PROMETHEUS_OPTIONS,
  PROMETHEUS_OPTIONS_TYPE,
} from './etcd-registry-prometheus.module-definition';
import { PrometheusMetricsOptions, RegistryMetricsHandle, registerPrometheusMetrics } from './prometheus-metrics';

/**
 * Registers the registry's metrics when the application starts. They stay through the drain and
 * the shutdown (a scrape during a rolling restart sees them): at the very end it stops counting,
 * and the series stay in prom-client's registry until the process ends (another application in
 * the same process shares them).
 */
@Injectable()
export class EtcdRegistryPrometheusMetrics implements OnApplicationBootstrap, OnApplicationShutdown {
  private handle?: RegistryMetricsHandle;

  constructor(
    private readonly registry: RegistryService,
    @Inject(PROMETHEUS_OPTIONS) private readonly options: PrometheusMetricsOptions,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.handle ??= await registerPrometheusMetrics(this.registry, this.options);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.handle?.stop();
    this.handle = undefined;
  }
}

/**
 * `EtcdRegistryPrometheusModule.forRoot({ instances: [{ prefix: '/services/', codec: 'json' }] })`:
 * the registry's metrics in prom-client's registry (the global one unless `register` is given);
 * serve them with `await register.metrics()` on your `/metrics` route. `forRootAsync({ imports, inject,
 * useFactory })` (or `useClass` / `useExisting`) takes the options from a factory.
 */
@Module({ providers: [EtcdRegistryPrometheusMetrics], exports: [EtcdRegistryPrometheusMetrics] })
export class EtcdRegistryPrometheusModule extends EtcdRegistryPrometheusConfigurableModule {
  /** Every option has a default: `forRoot()` works. */
  static forRoot(options: typeof PROMETHEUS_OPTIONS_TYPE = {}): DynamicModule {
    return super.forRoot(options);
  }
}
