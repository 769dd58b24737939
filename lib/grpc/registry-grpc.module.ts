import { DynamicModule, Inject, Logger, Module, OnModuleDestroy, OnModuleInit, Optional } from '@nestjs/common';
import { dirname } from 'path';
import { RegistryOptionsError } from '../core/errors';
import { RegistryService } from '../service/registry.service';
import { DEFAULT_GRPC_SCHEME, GrpcNameResolver, registerGrpcScheme } from './grpc-name-resolver';
import { grpcMessages } from './messages';
import type { RegistryGrpcModuleOptions } from './registry-grpc-options.interface';
import {
  ASYNC_OPTIONS_TYPE,
  ConfigurableModuleClass,
  OPTIONS_TYPE,
  REGISTRY_GRPC_OPTIONS,
  REGISTRY_GRPC_SCHEME,
} from './registry-grpc.module-definition';

/**
 * gRPC clients by name: registers the `etcd-registry` scheme with grpc-js, so a channel to
 * `etcd-registry:///user-service` (Nest's `ClientsModule` with `Transport.GRPC` and that `url`,
 * or a plain grpc-js client) resolves to the live instances of `user-service`, balanced by grpc-js
 * (`round_robin` by default). Provides GrpcNameResolver (`target(service)`, `status()`). Needs
 * EtcdRegistryModule with `isGlobal: true`.
 */
@Module({
  providers: [
    {
      provide: GrpcNameResolver,
      useFactory: (options: RegistryGrpcModuleOptions, scheme: string) => new GrpcNameResolver({ ...options, scheme }),
      inject: [REGISTRY_GRPC_OPTIONS, REGISTRY_GRPC_SCHEME],
    },
  ],
  exports: [GrpcNameResolver],
})
export class RegistryGrpcModule extends ConfigurableModuleClass implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('RegistryGrpc');

  constructor(
    @Inject(GrpcNameResolver) private readonly resolver: GrpcNameResolver,
    @Optional() @Inject(RegistryService) private readonly registry?: RegistryService,
  ) {
    super();
  }

  /** Registers the scheme with grpc-js at once: a channel made by another module's provider must find it. */
  static forRoot(options: typeof OPTIONS_TYPE = {}): DynamicModule {
    registerGrpcScheme(options.scheme ?? DEFAULT_GRPC_SCHEME);
    return super.forRoot(options);
  }

  static forRootAsync(options: typeof ASYNC_OPTIONS_TYPE): DynamicModule {
    registerGrpcScheme(options.scheme ?? DEFAULT_GRPC_SCHEME);
    return super.forRootAsync(options);
  }

  async onModuleInit(): Promise<void> {
    if (!this.registry) throw new RegistryOptionsError('EtcdRegistryModule', grpcMessages.noRegistry());
    this.warnOnTwoCopies();
    await this.resolver.follow(this.registry);
  }

  async onModuleDestroy(): Promise<void> {
    await this.resolver.close();
  }

  /** Nest's gRPC clients load @grpc/grpc-js from @nestjs/microservices: it must be the copy the scheme is registered in. */
  private warnOnTwoCopies(): void {
    let ours: string;
    let nest: string;
    try {
      ours = require.resolve('@grpc/grpc-js');
      nest = require.resolve('@grpc/grpc-js', { paths: [dirname(require.resolve('@nestjs/microservices'))] });
    } catch {
      return; // @nestjs/microservices not installed: plain grpc-js clients only
    }
    if (ours !== nest) this.logger.warn(grpcMessages.twoCopies(ours, nest));
  }
}
