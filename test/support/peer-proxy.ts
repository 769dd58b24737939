// The peer proxy is the real-etcd fault kit's (lib/testing/etcd): one harness for this project's suites and users' tests.
export { PeerProxy } from '../../lib/testing/etcd/peer-proxy';
