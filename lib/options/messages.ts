/** Every message the Nest layer writes, in one place. */
const str = (value: unknown) => (typeof value === 'string' ? JSON.stringify(value) : typeof value);

export const nestMessages = {
  optionsNotObject: (value: unknown) =>
    `EtcdRegistryModule options must be an object such as { endpoints: ["127.0.0.1:2379"] } (check what forRootAsync's useFactory returns); got ${
      value === null ? 'null' : typeof value
    }.`,
  serviceNotObject: (value: unknown) =>
    `Option "service" must be an object such as { name: "user-service", address: "10.0.0.5:3000" }; got ${
      value === null ? 'null' : typeof value
    }.`,
  serviceName: (value: unknown) =>
    `Option "service.name" must be a non-empty string without "/" such as "user-service"; got ${str(value)}.`,
  serviceId: (value: unknown) =>
    `Option "service.id" must be a non-empty string without "/" (one per instance), or left out for a generated one; got ${str(value)}.`,
  serviceAddress: (value: unknown) =>
    `Option "service.address" must be a non-empty string where the instance answers, such as "10.0.0.5:3000"; got ${str(value)}.`,
  servicePrefix: (value: unknown) =>
    `Option "service.prefix" must be a string that starts and ends with "/", such as "/services/"; got ${str(value)}.`,
  serviceValue: (value: unknown) =>
    `Option "service.value" must be a non-empty string (use JSON.stringify for objects), or left out to store "service.address"; got ${str(value)}.`,
  serviceValueAndCodec: () =>
    'Options "service.value" and "service.codec" (or the instance fields: endpoints, version, metadata, zone, weight, status) exclude each other: the codec writes the value. Leave one out.',
  targetAndPrefix: () =>
    'Options "service.target" and "service.prefix" exclude each other: the grpc-naming target is the whole key before the address (e.g. "foo/bar/users" or "/services/users"). Leave "service.prefix" out.',
  serviceIdWithNaming: () =>
    'Option "service.id" does not apply with codec "grpc-naming": its keys are {prefix}{name}/{address}, so the address is the id. Leave "service.id" out.',
  watchAs: (value: unknown) => `@WatchServices() option "as" must be "map" (the default: key -> value) or "instances"; got ${str(value)}.`,
  watchCodec: (value: unknown) =>
    `@WatchServices() option "codec" must be one of "etcd-service", "json", "go-zero", "kratos", "go-micro", "grpc-naming", or a codec object with a name and decode(entry); got ${str(value)}.`,
  watchCodecWithoutInstances: () => '@WatchServices() option "codec" applies to instances: add as: "instances", or leave "codec" out.',
  watchOptions: (value: unknown) => `@WatchServices() options must be an object such as { as: "instances" }; got ${str(value)}.`,
  autoRegister: (value: unknown) => `Option "autoRegister" must be true or false; got ${str(value)}.`,
  drainMs: (value: unknown) =>
    `Option "drainMs" must be an integer >= 0 (milliseconds to keep serving after the instance is taken out of rotation); got ${str(value)}.`,
  draining: (key: string, drainMs: number, how: string) => `draining ${key} for ${drainMs} ms (${how}), then unregistering`,
  drainMarkFailed: (key: string, reason: string) => `could not mark ${key} draining (${reason}): deleting it first instead`,
  noService: () => 'No service is configured: pass "service: { name, address }" to EtcdRegistryModule.forRoot() to use registerService().',
  watchPrefix: (value: unknown) =>
    `@WatchServices() needs a key prefix string that ends with "/", such as "/services/"; got ${str(value)}.`,
  watchFailed: (where: string, prefix: string, reason: string) => `@WatchServices(${JSON.stringify(prefix)}) on ${where}: ${reason}`,
  requestScoped: (where: string) =>
    `@WatchServices on ${where} is ignored: ${where.split('#')[0]} is request-scoped (or depends on a request-scoped provider); move the handler to a singleton provider.`,
  transientProvider: (where: string) =>
    `@WatchServices on ${where} is ignored: ${where.split('#')[0]} is transient (Nest makes one per consumer, so there is no one instance to call); make it a singleton provider (drop "scope: Scope.TRANSIENT") or move the handler to one.`,
  importedTwice: (importers: string[]) =>
    `EtcdRegistryModule.forRoot() is imported ${importers.length} times in one application (by ${importers
      .map((i) => `[${i}]`)
      .join(
        ' and ',
      )}): that would register this process ${importers.length} times, with ${importers.length} ids and leases. Import it once, in the root module, with isGlobal: true (or re-export it from one shared module).`,
  credentialsPair: (set: 'username' | 'password') =>
    `Options "username" and "password" go together: "${set}" is set but "${
      set === 'username' ? 'password' : 'username'
    }" is empty. Set both (e.g. ETCD_USERNAME and ETCD_PASSWORD), or leave both empty for an etcd without auth.`,
  startFailed: (reason: string) =>
    `The application did not start (${reason}): the registry is closed, nothing of this instance is left in etcd.`,
  unregisterFailed: (key: string, reason: string) =>
    `Could not unregister ${key} on shutdown (${reason}); its lease expires after the TTL.`,
  closed: () => 'RegistryService is closed (the application is shutting down): no more registry operations.',
  closeFailed: (reason: string) => `Closing the registry failed: ${reason}`,
} as const;
