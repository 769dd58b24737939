import { EtcdRegistry } from '../etcd-registry';
import { assertHandler, assertPrefix } from '../input-validation';
import { revisionsOf } from '../map-revisions';
import type { MapChanges, Registry, RegistryLogger, ServiceMap, WatchSubscription } from '../registry.interface';
import type { InstanceWatchOptions } from './get-instances';
import { resolveInstanceCodec } from './instance-codecs';
import { InstanceDecoder } from './instance-decoder';
import type { InstanceChanges, InstanceHandler, InstanceMap } from './service-instance';

export type { InstanceWatchOptions } from './get-instances';

const loggerOf = (registry: Registry, options: InstanceWatchOptions): RegistryLogger | undefined =>
  options.logger ?? (registry instanceof EtcdRegistry ? registry.options.logger : undefined);

/**
 * Calls `fn` with the instances under `prefix`, decoded by the chosen codec, then after each
 * change (the watch of `registry.addWatch`, with all its guarantees), with what changed since its
 * previous call. A change decodes only the keys it touched. Resolves after the first call, with
 * the subscription.
 */
export async function watchInstances(
  registry: Registry,
  prefix: string,
  fn: InstanceHandler,
  options: InstanceWatchOptions = {},
): Promise<WatchSubscription> {
  assertPrefix(prefix);
  assertHandler(fn);
  const decoder = new InstanceDecoder(resolveInstanceCodec(options.codec), prefix, loggerOf(registry, options));
  let previous: InstanceMap | undefined;
  // Decoded synchronously on delivery: the map's revisions are those of the current state.
  const handler = (services: ServiceMap, changes: MapChanges) => {
    const instances = decoder.apply(services, revisionsOf(services), changes);
    const instanceChanges = instanceChangesOf(previous, changes);
    previous = instances;
    return fn(instances, instanceChanges);
  };
  Object.defineProperty(handler, 'name', { value: fn.name || 'instance handler' });
  return registry.addWatch(prefix, handler);
}

/** The watch's change set (read lazily, as the watch computes it) with the previous instance map. */
function instanceChangesOf(previous: InstanceMap | undefined, changes: MapChanges): InstanceChanges {
  return Object.freeze({
    previous,
    get added() {
      return changes.added;
    },
    get removed() {
      return changes.removed;
    },
    get updated() {
      return changes.updated;
    },
  });
}
