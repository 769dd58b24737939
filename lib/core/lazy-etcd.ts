import type { Etcd3 } from 'etcd3';
import type * as EtcdParts from './etcd-parts';
import type { ResolvedRegistryOptions } from './options';

let parts: typeof EtcdParts | undefined;

/** The registry's parts that need etcd3 (etcd-parts.ts), required on the first call. */
export function etcdParts(): typeof EtcdParts {
  // Required here, at the first etcd client or registry, rather than when an entry loads: etcd3 brings
  // @grpc/grpc-js, protobufjs and cockatiel (about 150 modules, 100+ ms and tens of MB), which an
  // application's unit tests on the in-memory registry (nestjs-etcd-registry/testing) never use.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (parts ??= require('./etcd-parts') as typeof EtcdParts);
}

/**
 * Creates the etcd3 client a registry uses, with its patches in place (etcd/etcd-client.factory.ts).
 * Throws an Etcd3InternalsError when the installed etcd3 lacks what a patch relies on.
 */
export function createEtcdClient(options: ResolvedRegistryOptions): Etcd3 {
  return etcdParts().createEtcdClient(options);
}
