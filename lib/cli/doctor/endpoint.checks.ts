import { createEtcdClient, RegistryOptions, resolveRegistryOptions } from '../../core';
import { ExitCode } from '../exit-codes';
import { CheckResult, fail, ok, reason, warn, within } from './check-result';

/** What one endpoint said about itself (etcd's maintenance Status, which needs no credentials). */
export interface EndpointStatus {
  readonly endpoint: string;
  /** The URL with its scheme, as the client dialled it. */
  readonly url: string;
  readonly version: string;
  readonly clusterId: string;
  readonly memberId: string;
  readonly leader: string;
}

const hex = (decimal: string) => BigInt(decimal).toString(16);

/** Status of one endpoint through a client that dials only it, bounded by timeoutMs. */
async function statusOf(options: RegistryOptions & { timeoutMs: number }, endpoint: string): Promise<EndpointStatus> {
  const { username: _u, password: _p, ...anonymous } = options;
  const resolved = resolveRegistryOptions({ ...anonymous, endpoints: [endpoint] });
  const client = createEtcdClient(resolved);
  try {
    const s = await within(options.timeoutMs, client.maintenance.status(), endpoint);
    return {
      endpoint,
      url: resolved.hosts[0],
      version: s.version,
      clusterId: s.header.cluster_id,
      memberId: s.header.member_id,
      leader: s.leader,
    };
  } finally {
    client.close();
  }
}

/**
 * One check per endpoint (reachable, and what it runs), then one of the etcd version and cluster:
 * the endpoints must all belong to one cluster, with a leader; 3.4 and later pass, older ones
 * warn (this library is tested on 3.4). Every endpoint unreachable is exit 3; some is exit 1.
 */
export async function checkEndpoints(
  options: RegistryOptions & { timeoutMs: number },
): Promise<{ results: CheckResult[]; reachable: EndpointStatus[] }> {
  const settled = await Promise.allSettled(options.endpoints.map((e) => statusOf(options, e)));
  const reachable = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const code = reachable.length === 0 ? ExitCode.unreachable : ExitCode.failed;
  const results = settled.map((s, n) =>
    s.status === 'fulfilled'
      ? ok(
          `endpoint ${options.endpoints[n]}`,
          `etcd ${s.value.version}, member ${hex(s.value.memberId)}, leader ${s.value.leader === '0' ? 'none' : hex(s.value.leader)}`,
        )
      : fail(`endpoint ${options.endpoints[n]}`, `unreachable: ${reason(s.reason)}`, code),
  );
  if (reachable.length === 0) return { results, reachable };

  const clusters = new Set(reachable.map((r) => r.clusterId));
  if (clusters.size > 1) {
    results.push(
      fail(
        'cluster',
        `the endpoints belong to ${clusters.size} different clusters (${[...clusters].map(hex).join(', ')}): list members of one cluster`,
      ),
    );
  } else if (reachable.some((r) => r.leader === '0')) {
    results.push(fail('cluster', `cluster ${hex(reachable[0].clusterId)} has no leader: writes and watches stall until one is elected`));
  } else {
    results.push(ok('cluster', `${hex(reachable[0].clusterId)}, leader ${hex(reachable[0].leader)}`));
  }

  const versions = [...new Set(reachable.map((r) => r.version))];
  const old = versions.filter((v) => {
    const [major, minor] = v.split('.').map(Number);
    return major < 3 || (major === 3 && minor < 4);
  });
  if (old.length > 0) results.push(warn('etcd version', `${versions.join(', ')}: this library is tested on etcd 3.4 and later`));
  else if (versions.length > 1)
    results.push(warn('etcd version', `${versions.join(', ')}: members run different versions (an upgrade in progress?)`));
  else results.push(ok('etcd version', versions[0]));
  return { results, reachable };
}
