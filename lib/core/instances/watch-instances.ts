import { assertHandler, assertPrefix } from '../input-validation';
import { revisionsOf } from '../map-revisions';
import type { MapChanges, Registry, ServiceMap, WatchOptions, WatchSubscription } from '../registry.interface';
import { withPrevious } from '../watch/service-map-state';
import { InstanceWatchOptions, sourceLogger } from './get-instances';
import { resolveInstanceCodec } from './instance-codecs';
import { InstanceDecoder } from './instance-decoder';
import type { InstanceHandler, InstanceMap } from './service-instance';

export type { InstanceWatchOptions } from './get-instances';

/**
 * Calls `fn` with the instances under `prefix`, decoded by the chosen codec, then after each
 * change (the watch of `registry.addWatch`, with all its guarantees and its delivery options:
 * `name`, `retry`), with what changed since its previous call (with `retry`: its last call that
 * returned normally). A change decodes only the keys it touched. Resolves after the first call,
 * with the subscription. Skipped entries are logged to `options.logger` (default: the registry's).
 */
export async function watchInstances(
  registry: Registry,
  prefix: string,
  fn: InstanceHandler,
  options: InstanceWatchOptions & WatchOptions = {},
): Promise<WatchSubscription> {
  assertPrefix(prefix);
  assertHandler(fn);
  const decoder = new InstanceDecoder(resolveInstanceCodec(options.codec), prefix, options.logger ?? sourceLogger(registry));
  /** The instance map of each service map handed over and still held: a change set's `previous` finds its own. */
  const decoded = new WeakMap<ServiceMap, InstanceMap>();
  // Decoded synchronously on delivery: the map's revisions are those of the current state.
  const handler = (services: ServiceMap, changes: MapChanges) => {
    const instances = decoder.apply(services, revisionsOf(services), changes);
    decoded.set(services, instances);
    const previous = changes.previous === undefined ? undefined : decoded.get(changes.previous);
    return fn(instances, withPrevious(changes, previous));
  };
  return registry.addWatch(prefix, handler, { name: options.name ?? (fn.name || 'instance handler'), retry: options.retry });
}
