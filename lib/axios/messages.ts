/** Every message of the HTTP wing, in one place. */
export const httpMessages = {
  notByName: (url: string) =>
    `RegistryHttpService calls services by name: the URL must look like "http://<service-name>/path" (the host is the service name); got ${JSON.stringify(url)}. Use a plain HttpService for other hosts.`,
  noRegistry: () =>
    'RegistryHttpModule needs RegistryService: import EtcdRegistryModule.forRoot({ ..., isGlobal: true }) (or forRootAsync) in the root module.',
  statusOption: (option: string, value: unknown) =>
    `Option "${option}" must be a list of HTTP statuses (integers 100 to 599) or a function (status) => boolean; got ${JSON.stringify(value)}.`,
  notIdempotent: (method: string) => `${method} is not in retry.idempotentMethods (the request may have been processed)`,
  noRetryLeft: () => 'no attempt or time left for a retry (retry.attempts, retry.budgetMs, deadlineMs)',
  retryOption: (option: string, value: unknown) =>
    `Option "retry.${option}" must be an integer >= ${option === 'attempts' ? 1 : 0}; got ${JSON.stringify(value)}.`,
};
