import { InstanceCodecChoice, RegistryArgumentError, findInstanceCodec } from '../core';
import { WATCH_INSTANCES_METADATA, WATCH_SERVICES_METADATA } from './watch-services.constants';
import { nestMessages } from '../options/messages';

/** Options of @WatchServices. */
export interface WatchServicesOptions {
  /**
   * `map` (the default): the method gets the ServiceMap, key -> raw value, as the Go etcdService
   * hands it. `instances`: it gets an InstanceMap, typed instances by service name.
   */
  as?: 'map' | 'instances' | undefined;
  /** With `as: 'instances'`: how values are read. Default `etcd-service` (plain host:port). */
  codec?: InstanceCodecChoice | undefined;
}

/** What @WatchServices stores for a prefix watched as instances. */
export interface WatchInstancesMetadata {
  codec?: InstanceCodecChoice;
}

function checkOptions(options: unknown): WatchServicesOptions {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null) throw new RegistryArgumentError('options', nestMessages.watchOptions(options));
  const { as, codec } = options as WatchServicesOptions;
  if (as !== undefined && as !== 'map' && as !== 'instances') throw new RegistryArgumentError('as', nestMessages.watchAs(as));
  if (codec !== undefined && !findInstanceCodec(codec)) throw new RegistryArgumentError('codec', nestMessages.watchCodec(codec));
  if (codec !== undefined && as !== 'instances') throw new RegistryArgumentError('codec', nestMessages.watchCodecWithoutInstances());
  return { as, codec };
}

/**
 * Calls the decorated method with the services under `prefix` (which ends with '/'): first
 * before `app.init()` resolves, then after every change. An optional second parameter gets what
 * changed since the method's last call that returned normally (`MapChanges`, or `InstanceChanges`
 * with `as: 'instances'`). Stackable: one method may watch several prefixes. Works on singleton
 * providers and controllers.
 *
 * ```ts
 * @WatchServices('/services/user-service/')
 * onUsers(services: ServiceMap) { this.addresses = Object.values(services); }
 *
 * @WatchServices('/services/', { as: 'instances', codec: 'json' })
 * onFleet(instances: InstanceMap) { this.users = instances.get('user-service') ?? []; }
 * ```
 */
export function WatchServices(prefix: string, options?: WatchServicesOptions): MethodDecorator {
  if (typeof prefix !== 'string' || prefix.length === 0) throw new RegistryArgumentError('prefix', nestMessages.watchPrefix(prefix));
  const { as, codec } = checkOptions(options);
  return (_target, _key, descriptor: PropertyDescriptor) => {
    const previous: string[] = Reflect.getMetadata(WATCH_SERVICES_METADATA, descriptor.value) ?? [];
    Reflect.defineMetadata(WATCH_SERVICES_METADATA, [...previous, prefix], descriptor.value);
    if (as === 'instances') {
      const instances: Record<string, WatchInstancesMetadata> = Reflect.getMetadata(WATCH_INSTANCES_METADATA, descriptor.value) ?? {};
      Reflect.defineMetadata(WATCH_INSTANCES_METADATA, { ...instances, [prefix]: { codec } }, descriptor.value);
    }
    return descriptor;
  };
}
