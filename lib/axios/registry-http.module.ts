import { DynamicModule, Module } from '@nestjs/common';
import { RegistryService } from '../service/registry.service';
import { REGISTRY_HTTP_OPTIONS, REGISTRY_HTTP_OPTIONS_TYPE, RegistryHttpConfigurableModule } from './registry-http.module-definition';
import type { RegistryHttpModuleOptions } from './registry-http-options.interface';
import { RegistryHttpService } from './registry-http.service';

/**
 * Provides RegistryHttpService: @nestjs/axios's HttpService calling services by name over the
 * instances registered in etcd. `forRoot(options)` or `forRootAsync({ imports, inject, useFactory })`
 * (or `useClass` / `useExisting`, e.g. from ConfigService), `isGlobal` in either, as every module of
 * this package. Needs EtcdRegistryModule with `isGlobal: true`.
 */
@Module({
  providers: [
    {
      provide: RegistryHttpService,
      useFactory: (opts: RegistryHttpModuleOptions, registry?: RegistryService) => RegistryHttpService.create(opts, registry),
      inject: [REGISTRY_HTTP_OPTIONS, { token: RegistryService, optional: true }],
    },
  ],
  exports: [RegistryHttpService],
})
export class RegistryHttpModule extends RegistryHttpConfigurableModule {
  /** Every option has a default: `forRoot()` works. */
  static forRoot(options: typeof REGISTRY_HTTP_OPTIONS_TYPE = {}): DynamicModule {
    return super.forRoot(options);
  }
}
