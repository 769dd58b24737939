import { EtcdRegistry } from '../etcd-registry';
import { assertHandler, assertPrefix } from '../input-validation';
import { revisionsOf } from '../map-revisions';
import type { MapChanges, Registry, RegistryLogger, ServiceMap, WatchSubscription } from '../registry.interface';
import type { InstanceCodecChoice } from './instance-codec.interface';
import { resolveInstanceCodec } from './instance-codecs';
import { InstanceDecoder } from './instance-decoder';
import type { InstanceChanges, InstanceHandler, InstanceMap } from './service-instance';

export interface InstanceWatchOptions {
  /** How values are read: a shipped codec's name or your own codec. Default `etcd-service` (plain host:port). */
  codec?: InstanceCodecChoice | undefined;
  /** Where a skipped entry is logged (once per key and value). Default: the registry's logger. */
  logger?: RegistryLogger | undefined;
}

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

/** One read of the instances under `prefix`. */
export async function getInstances(registry: Registry, prefix: string, options: InstanceWatchOptions = {}): Promise<InstanceMap> {
  assertPrefix(prefix);
  const codec = resolveInstanceCodec(options.codec);
  const services = await registry.getServices(prefix);
  return new InstanceDecoder(codec, prefix, loggerOf(registry, options)).apply(services, revisionsOf(services));
}
