import { findInstanceCodec, INSTANCE_CODECS, InstanceCodec, InstanceCodecChoice, RegistryOptionsError } from '../core';
import { dashboardMessages } from './messages';

/** Options of EtcdRegistryDashboardModule.forRoot (forRootAsync: `path` beside the factory, the others from it). */
export interface EtcdRegistryDashboardOptions {
  /** Where the page is served (its events at `${path}/events`). Default `/registry`. */
  path?: string | undefined;
  /** The prefix it lists. Default `/services/`. */
  prefix?: string | undefined;
  /** How values are read. Default `json` (which reads plain `host:port` values too). */
  codec?: InstanceCodecChoice | undefined;
}

export interface ResolvedDashboardOptions {
  /** Without a trailing slash. */
  path: string;
  prefix: string;
  codec: InstanceCodec;
}

export const DEFAULT_DASHBOARD_PATH = '/registry';
export const DEFAULT_DASHBOARD_PREFIX = '/services/';

/** Defaults and validation (RegistryOptionsError naming the option). Pure. */
export function resolveDashboardOptions(options: EtcdRegistryDashboardOptions = {}): ResolvedDashboardOptions {
  const path = options.path ?? DEFAULT_DASHBOARD_PATH;
  if (typeof path !== 'string' || !/^\/[A-Za-z0-9._~\-/]*$/.test(path))
    throw new RegistryOptionsError('path', dashboardMessages.path(path));
  const prefix = options.prefix ?? DEFAULT_DASHBOARD_PREFIX;
  if (typeof prefix !== 'string' || !prefix.startsWith('/') || !prefix.endsWith('/'))
    throw new RegistryOptionsError('prefix', dashboardMessages.prefix(prefix));
  const codec = findInstanceCodec(options.codec ?? 'json');
  if (!codec) throw new RegistryOptionsError('codec', dashboardMessages.codec(options.codec, Object.keys(INSTANCE_CODECS)));
  return { path: path.replace(/\/+$/, '') || '/', prefix, codec };
}
