import { RegistryArgumentError } from '../core';
import { WATCH_SERVICES_METADATA } from '../etcd-registry.constants';
import { nestMessages } from '../errors/messages';

/**
 * Calls the decorated method with the map of the services under `prefix` (which ends with '/'):
 * first before `app.init()` resolves, then after every change. Stackable: one method may watch
 * several prefixes. Works on singleton providers and controllers.
 *
 * ```ts
 * @WatchServices('/services/user-service/')
 * onUsers(services: ServiceMap) { this.instances = Object.values(services); }
 * ```
 */
export function WatchServices(prefix: string): MethodDecorator {
  if (typeof prefix !== 'string' || prefix.length === 0) throw new RegistryArgumentError('prefix', nestMessages.watchPrefix(prefix));
  return (_target, _key, descriptor: PropertyDescriptor) => {
    const previous: string[] = Reflect.getMetadata(WATCH_SERVICES_METADATA, descriptor.value) ?? [];
    Reflect.defineMetadata(WATCH_SERVICES_METADATA, [...previous, prefix], descriptor.value);
    return descriptor;
  };
}
