import type { ResolvedEtcdRegistryService } from '../options/interfaces';

/** A sub-prefix that holds nothing: reading it costs nothing and needs only read access to its parent. */
export const PROBE_SUFFIX = '.etcd-registry-probe/';

/**
 * The key ranges the start-up check reads: only what the application itself uses, so a role
 * limited to it is enough. The configured service's own key space (`${key}/`) and, under each
 * prefix a @WatchServices handler watches, an empty sub-prefix. Empty when the application
 * neither registers nor watches: there is then nothing to check before its own first call.
 */
export function startupCheckPrefixes(service: ResolvedEtcdRegistryService | undefined, watchedPrefixes: string[]): string[] {
  const prefixes = new Set<string>();
  if (service) prefixes.add(`${service.key}/`);
  for (const prefix of watchedPrefixes) prefixes.add(`${prefix}${PROBE_SUFFIX}`);
  return [...prefixes];
}
