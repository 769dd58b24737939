import type { GrpcResolverOptions } from './grpc-name-resolver';

/** Options of RegistryGrpcModule.forRoot / forRootAsync (`scheme` and `isGlobal` are given beside them, to forRoot). */
export type RegistryGrpcModuleOptions = Pick<
  GrpcResolverOptions,
  'prefix' | 'codec' | 'loadBalancing' | 'methodConfig' | 'retryThrottling'
>;
