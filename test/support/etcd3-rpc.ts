import { loadSync } from '@grpc/proto-loader';
import { join } from 'path';

/** One gRPC method's serializers, as etcd3 builds them. */
export interface Etcd3RpcMethod {
  requestSerialize(value: object): Buffer;
  requestDeserialize(bytes: Buffer): Record<string, unknown>;
  responseSerialize(value: object): Buffer;
  responseDeserialize(bytes: Buffer): Record<string, unknown>;
}

let definition: ReturnType<typeof loadSync> | undefined;

/**
 * A method of etcd's API with the serializers etcd3 itself uses (@grpc/proto-loader over etcd3's
 * rpc.proto, with etcd3's options): the reference the hand-written codecs of lib/core/etcd/ are
 * checked against. `etcd3Rpc('etcdserverpb.KV', 'Range')`.
 */
export function etcd3Rpc(service: string, method: string): Etcd3RpcMethod {
  definition ??= loadSync(join(require.resolve('etcd3/package.json'), '..', 'proto', 'rpc.proto'), {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const found = (definition[service] as unknown as Record<string, Etcd3RpcMethod> | undefined)?.[method];
  if (!found) throw new Error(`etcd3's rpc.proto has no ${service}/${method}`);
  return found;
}
