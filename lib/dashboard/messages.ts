/** Every message the live registry page writes, in one place. */
export const dashboardMessages = {
  path: (value: unknown) =>
    `EtcdRegistryDashboardModule option "path" must be a URL path starting with "/", e.g. "/registry"; got ${JSON.stringify(value)}.`,
  prefix: (value: unknown) =>
    `EtcdRegistryDashboardModule option "prefix" must start and end with "/", e.g. "/services/"; got ${JSON.stringify(value)}.`,
  codec: (value: unknown, names: readonly string[]) =>
    `EtcdRegistryDashboardModule option "codec" must be one of ${names.join(', ')} or a codec object ({ name, decode }); got ${JSON.stringify(value)}.`,
  noRegistry: () =>
    'EtcdRegistryDashboardModule needs the registry: import EtcdRegistryModule.forRoot/forRootAsync (or EtcdRegistryTestingModule) in the same application.',
  watchFailed: (prefix: string, reason: string) => `Registry page: the watch of ${prefix} failed (${reason}); retrying.`,
} as const;
