export { EtcdTestServer } from './etcd-test-server';
export type { EtcdMemberRef, EtcdTestServerAttachOptions, EtcdTestServerStartOptions } from './etcd-test-server';
export { FaultProxy, startFaultProxy } from './fault-proxy';
export { findEtcdBinary } from './etcd-binary';
export { EtcdBinaryNotFoundError, EtcdTestServerError } from './errors';
