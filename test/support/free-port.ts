// Free loopback ports come from the real-etcd fault kit (lib/testing/etcd), so the kit and the suites never hand out one port twice.
export { freePort } from '../../lib/testing/etcd/free-port';
