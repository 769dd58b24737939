import { DynamicModule, Module } from '@nestjs/common';
import { RegistryService } from '../registry.service';
import { REGISTRY_HTTP_OPTIONS } from './registry-http.constants';
import type { RegistryHttpModuleOptions } from './registry-http-options.interface';
import { RegistryHttpService } from './registry-http.service';

/**
 * Provides RegistryHttpService: @nestjs/axios's HttpService calling services by name over the
 * instances registered in etcd. Needs EtcdRegistryModule with `isGlobal: true` in the application.
 */
@Module({})
export class RegistryHttpModule {
  static register(options: RegistryHttpModuleOptions = {}): DynamicModule {
    return {
      module: RegistryHttpModule,
      global: options.isGlobal,
      providers: [
        { provide: REGISTRY_HTTP_OPTIONS, useValue: options },
        {
          provide: RegistryHttpService,
          useFactory: (opts: RegistryHttpModuleOptions, registry?: RegistryService) => RegistryHttpService.create(opts, registry),
          inject: [REGISTRY_HTTP_OPTIONS, { token: RegistryService, optional: true }],
        },
      ],
      exports: [RegistryHttpService],
    };
  }
}
