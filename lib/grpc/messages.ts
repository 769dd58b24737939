/** Every message of the gRPC wing, in one place. */
export const grpcMessages = {
  noRegistry: () =>
    'RegistryGrpcModule needs RegistryService: import EtcdRegistryModule.forRoot({ ..., isGlobal: true }) (or forRootAsync) in the root module.',
  scheme: (value: unknown) =>
    `Option "scheme" must be a URI scheme (a letter, then letters, digits, "+", "-" or "."), such as "etcd-registry"; got ${JSON.stringify(value)}.`,
  schemeTaken: (scheme: string) =>
    `A resolver already serves the scheme "${scheme}" in this process: give this one another "scheme" (each prefix and codec needs its own), or close the other first.`,
  loadBalancing: (value: unknown) => `Option "loadBalancing" must be "round_robin" or "pick_first"; got ${JSON.stringify(value)}.`,
  target: (target: string, scheme: string) =>
    `gRPC target "${target}" names no service: dial "${scheme}:///<service>", e.g. "${scheme}:///user-service".`,
  noInstance: (service: string, prefix: string, draining: number, withoutAddress: number, known: readonly string[]) =>
    `No instance of "${service}" to call under ${prefix}` +
    (draining > 0 ? `: ${draining} draining` : '') +
    (withoutAddress > 0 ? `${draining > 0 ? ',' : ':'} ${withoutAddress} without a grpc:// endpoint or a plain address` : '') +
    (draining === 0 && withoutAddress === 0 ? ` (services there: ${known.length > 0 ? known.join(', ') : 'none'})` : '') +
    '.',
  closed: (scheme: string) => `The resolver of "${scheme}:///" was closed.`,
  twoCopies: (ours: string, nest: string) =>
    `Two copies of @grpc/grpc-js: the resolver is registered in ${ours} but @nestjs/microservices loads ${nest}; its clients would not find "etcd-registry:///" targets. Deduplicate them (npm dedupe, or one version in package.json).`,
};
