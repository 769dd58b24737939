export { RegistryGrpcModule } from './registry-grpc.module';
export { DEFAULT_GRPC_SCHEME, GRPC_ADDRESSING, GrpcNameResolver, registerGrpcScheme } from './grpc-name-resolver';
export type { GrpcLoadBalancing, GrpcResolverOptions, GrpcServiceResolution } from './grpc-name-resolver';
export type { RegistryGrpcModuleOptions } from './registry-grpc-options.interface';
