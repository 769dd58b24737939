/** Every message of the microservices wing, in one place. */
export const clientMessages = {
  noRegistry: () =>
    'RegistryClientsModule needs RegistryService: import EtcdRegistryModule.forRoot({ ..., isGlobal: true }) (or forRootAsync) in the root module.',
  transport: (name: string, transport: unknown) =>
    `Client ${JSON.stringify(name)}: transport ${JSON.stringify(transport)} is not supported by name: use Transport.TCP (brokers such as Redis or NATS need no discovery: use ClientsModule).`,
  clientName: (value: unknown) => `Each client needs a "name" (its injection token, e.g. 'USERS'); got ${JSON.stringify(value)}.`,
  service: (name: string, value: unknown) =>
    `Client ${JSON.stringify(name)} needs "service": the registered service name, e.g. 'user-service'; got ${JSON.stringify(value)}.`,
  matchOption: (option: string, value: unknown) =>
    `Option "${option}" must be a function (error, pattern) => boolean; got ${typeof value === 'function' ? 'a function' : JSON.stringify(value)}.`,
  notIdempotent: (pattern: unknown) =>
    `pattern ${JSON.stringify(pattern)} is not idempotent (retry.idempotent), and the instance may have processed it`,
  emitNotRetried: () => 'an emitted event is retried only when the connection was refused',
  noRetryLeft: () => 'no attempt or time left for a retry (retry.attempts, retry.budgetMs, deadlineMs)',
  clientsList: (value: unknown) =>
    `RegistryClientsModule.forRoot needs "clients": a list of { name, service, ... } (e.g. [{ name: 'USERS', service: 'user-service' }]); got ${JSON.stringify(value)}.`,
  asyncNames: (value: unknown) =>
    `RegistryClientsModule.forRootAsync needs "names": the injection tokens of the clients its factory gives (e.g. ['USERS']), known before the factory runs; got ${JSON.stringify(value)}.`,
  notFromFactory: (name: string, given: string[]) =>
    `Client ${JSON.stringify(name)} is in forRootAsync's "names" but not in the "clients" its factory returned (got ${given.length ? given.map((n) => JSON.stringify(n)).join(', ') : 'none'}): return { clients: [{ name: ${JSON.stringify(name)}, service: ... }] }.`,
  notInNames: (name: string) =>
    `Client ${JSON.stringify(name)} was returned by forRootAsync's factory but is not in its "names": add it there, or it is never provided.`,
  retryOption: (option: string, value: unknown) =>
    `Option "retry.${option}" must be an integer >= ${option === 'attempts' ? 1 : 0}; got ${JSON.stringify(value)}.`,
};
