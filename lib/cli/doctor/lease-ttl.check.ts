import type { Etcd3 } from 'etcd3';
import { ExitCode } from '../exit-codes';
import { CheckResult, fail, ok, reason, warn, within } from './check-result';

/**
 * etcd's minimum lease TTL: grant a 1 s lease, read the TTL etcd chose (it raises a TTL below its
 * minimum, about 1.5 election timeouts), revoke it. A `ttlSeconds` under the minimum warns: etcd
 * would keep a crashed instance's key that much longer than configured.
 */
export async function checkLeaseTtl(client: Etcd3, ttlSeconds: number, timeoutMs: number): Promise<CheckResult> {
  const check = 'lease minimum TTL';
  let id: string | undefined;
  try {
    const granted = await within(timeoutMs, client.leaseClient.leaseGrant({ TTL: 1 }), 'lease grant');
    id = granted.ID;
    const live = await within(timeoutMs, client.leaseClient.leaseTimeToLive({ ID: id }), 'lease time-to-live');
    const minimum = Math.max(Number(granted.TTL), Number(live.grantedTTL));
    const detail = `${minimum} s (a 1 s lease was granted ${minimum} s)`;
    if (ttlSeconds < minimum) return warn(check, `${detail}: ttlSeconds ${ttlSeconds} is raised to ${minimum} by etcd`);
    return ok(check, `${detail}; ttlSeconds ${ttlSeconds} is kept`);
  } catch (e) {
    return fail(
      check,
      `could not grant a lease: ${reason(e)}`,
      /permission denied|authentication/i.test(reason(e)) ? ExitCode.denied : ExitCode.failed,
    );
  } finally {
    if (id !== undefined) await within(timeoutMs, client.leaseClient.leaseRevoke({ ID: id }), 'lease revoke').catch(() => undefined);
  }
}
