export * from './registry-event.interface';
export { RegistryEvents } from './registry-events';
export type { RegistryEventInput, RegistryEventListener } from './registry-events';
