// An etcd member is the real-etcd fault kit's (lib/testing/etcd, `nestjs-etcd-registry/testing/etcd`): one harness
// for this project's suites and users' own tests. What stays here is this project's own: single-node helpers and
// ETCD_ENDPOINTS, with the binary found as the suites find it (ETCD_BIN, PATH, then apt-get as root: ./etcd-binary).
import { EtcdMember, FAST_ELECTION_ARGS } from '../../lib/testing/etcd/etcd-member';
import { findEtcdBinary } from './etcd-binary';
import { freePort } from './free-port';

export { EtcdMember, FAST_ELECTION_ARGS } from '../../lib/testing/etcd/etcd-member';
export type { EtcdMemberConfig } from '../../lib/testing/etcd/etcd-member';

export interface EtcdServer {
  /** `127.0.0.1:port` endpoints to hand to the registry. */
  endpoints: string[];
  /** The member, when this process started it (undefined for ETCD_ENDPOINTS). */
  member?: EtcdMember;
  stop(): Promise<void>;
}

/**
 * A single-member etcd on free loopback ports, not started yet. `extraArgs` gets the client
 * port, for flags that name it (later flags override the launcher's own).
 */
export async function singleMember(prefix: string, extraArgs: (clientPort: number) => string[] = () => []): Promise<EtcdMember> {
  const clientPort = await freePort();
  const peerPort = await freePort();
  const name = `${prefix}${clientPort}`;
  return new EtcdMember({
    name,
    clientPort,
    peerPort,
    initialCluster: `${name}=http://127.0.0.1:${peerPort}`,
    clusterToken: `t${clientPort}`,
    extraArgs: [...FAST_ELECTION_ARGS, ...extraArgs(clientPort)],
    binary: findEtcdBinary(),
  });
}

/** Starts a single-node etcd on free loopback ports in a temporary data dir and waits until it is healthy. */
export async function startEtcd(extraArgs: string[] = []): Promise<EtcdServer & { member: EtcdMember }> {
  const member = await singleMember('n', () => extraArgs);
  member.start();
  try {
    await member.waitHealthy();
  } catch (e) {
    await member.destroy();
    throw e;
  }
  return { endpoints: [member.endpoint], member, stop: () => member.destroy() };
}

/**
 * The etcd for tests that need no control over the server: the one named by ETCD_ENDPOINTS
 * (comma-separated) if set, else a fresh local one.
 */
export async function useEtcd(): Promise<EtcdServer> {
  const external = process.env.ETCD_ENDPOINTS;
  if (external) {
    return {
      endpoints: external
        .split(',')
        .map((e) => e.trim())
        .filter(Boolean),
      stop: async () => undefined,
    };
  }
  return startEtcd();
}
