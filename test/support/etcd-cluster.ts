// The cluster is the real-etcd fault kit's (lib/testing/etcd, `nestjs-etcd-registry/testing/etcd`): one harness for
// this project's fault suite and users' own tests. This file keeps the suites' names and finds the binary as they do
// (ETCD_BIN, PATH, then apt-get as root: ./etcd-binary).
import { ClusterOptions, EtcdCluster } from '../../lib/testing/etcd/etcd-cluster';
import { findEtcdBinary } from './etcd-binary';

export { EtcdCluster, memberStatus } from '../../lib/testing/etcd/etcd-cluster';
export type { ClusterOptions, MemberStatus } from '../../lib/testing/etcd/etcd-cluster';

/** Starts an n-member cluster (fast elections, concurrent start) and waits until every member is healthy. */
export function startEtcdCluster(n = 3, extraArgs: string[] = [], options: ClusterOptions = {}): Promise<EtcdCluster> {
  return EtcdCluster.start(n, extraArgs, { binary: findEtcdBinary(), ...options });
}
