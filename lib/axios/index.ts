export { RegistryHttpModule } from './registry-http.module';
export { RegistryHttpService, HTTP_ADDRESSING } from './registry-http.service';
export type { RegistryHttpModuleOptions } from './registry-http-options.interface';
export { DEFAULT_HTTP_FAILURE_STATUSES, DEFAULT_HTTP_RETRY, httpFailureKind } from './http-retry';
export type { HttpFailureOptions, HttpRetryOptions, HttpStatusMatch } from './http-retry';
export { balancedAdapter } from './balanced-adapter';
