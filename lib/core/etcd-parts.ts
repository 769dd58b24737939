/**
 * What a registry needs that requires etcd3 when loaded (and through it @grpc/grpc-js, protobufjs and
 * cockatiel): the client factory and its patches, the lease keeper, the prefix watcher and the
 * classification of etcd3's errors. Required by lazy-etcd.ts only, at the first client or registry:
 * import nothing from here elsewhere, or an entry loads etcd3 again.
 */
export { createEtcdClient } from './etcd/etcd-client.factory';
export { etcd3ErrorKind } from './etcd/etcd-errors';
export { hostSelectionOf } from './etcd/host-selection';
export { repairWatchQueue } from './etcd/watch-queue-repair';
export { leanWatchRevision } from './etcd/watch-revision';
export { LeaseKeeper } from './lease/lease-keeper';
export { PrefixWatcher } from './watch/prefix-watcher';
