import { assertPrefix } from '../input-validation';
import { revisionsOf } from '../map-revisions';
import type { Registry, RegistryLogger } from '../registry.interface';
import type { InstanceCodecChoice, InstanceEntry } from './instance-codec.interface';
import { resolveInstanceCodec } from './instance-codecs';
import { decodeEntries, InstanceDecoder } from './instance-decoder';
import type { InstanceMap } from './service-instance';

export interface InstanceWatchOptions {
  /** How values are read: a shipped codec's name or your own codec. Default `etcd-service` (plain host:port). */
  codec?: InstanceCodecChoice | undefined;
  /** Where a skipped entry is logged (once per key and value). Default: the registry's logger. */
  logger?: RegistryLogger | undefined;
}

/** What getInstances reads: a Registry, or anything else with its getServices (a PrefixReader). */
export type InstanceSource = Pick<Registry, 'getServices'>;

/** The logger of the source's resolved options (EtcdRegistry's, PrefixReader's), if it has one. */
export function sourceLogger(source: object): RegistryLogger | undefined {
  const logger = (source as { options?: { logger?: Partial<RegistryLogger> } }).options?.logger;
  return typeof logger?.warn === 'function' ? (logger as RegistryLogger) : undefined;
}

/**
 * One read of the instances under `prefix`. Kept apart from watch-instances.ts (which needs the
 * registry, hence etcd3) so a reader that does not load etcd3 (the CLI's `ls`) can use it.
 */
export async function getInstances(source: InstanceSource, prefix: string, options: InstanceWatchOptions = {}): Promise<InstanceMap> {
  assertPrefix(prefix);
  const codec = resolveInstanceCodec(options.codec);
  const services = await source.getServices(prefix);
  return new InstanceDecoder(codec, prefix, options.logger ?? sourceLogger(source)).apply(services, revisionsOf(services));
}

/** What readInstances reads: anything with a PrefixReader's getEntries (each key once, in any order). */
export interface InstanceEntrySource {
  getEntries(prefix: string): Promise<readonly InstanceEntry[]>;
}

/**
 * getInstances for a one-shot reader (a PrefixReader: the CLI's `ls` and `get`): the same instance
 * map, decoded from the read's list of entries with no map of the prefix built in between.
 */
export async function readInstances(source: InstanceEntrySource, prefix: string, options: InstanceWatchOptions = {}): Promise<InstanceMap> {
  assertPrefix(prefix);
  const codec = resolveInstanceCodec(options.codec);
  const entries = await source.getEntries(prefix);
  return decodeEntries(codec, prefix, entries, options.logger ?? sourceLogger(source));
}
