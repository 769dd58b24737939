// The fault proxy is the real-etcd fault kit's (lib/testing/etcd, `nestjs-etcd-registry/testing/etcd`): one harness
// for this project's suites and for users' own tests.
export { FaultProxy, startFaultProxy } from '../../lib/testing/etcd/fault-proxy';
