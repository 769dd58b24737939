export * from './errors';
export * from './registry.interface';
export { resolveRegistryOptions, DEFAULT_TIMEOUT_MS, DEFAULT_TTL_SECONDS } from './options';
export type { ResolvedRegistryOptions } from './options';
