import { createEtcdClient, resolveRegistryOptions } from '../../core';
import type { CliIo } from '../cli-io';
import type { CliOptions } from '../cli-options';
import type { ExitCode } from '../exit-codes';
import { checkAccess } from '../doctor/access.checks';
import { CheckResult, doctorExitCode, fail, ok, reason, skip } from '../doctor/check-result';
import { describeSkew, sampleEtcdClock, skewBounds, skewExceeds } from '../doctor/clock-skew';
import { checkEndpoints } from '../doctor/endpoint.checks';
import { checkLeaseTtl } from '../doctor/lease-ttl.check';
import { printable } from '../instance-format';

const LATER = ['auth', 'read', 'write', 'lease minimum TTL', 'clock skew'];

async function checkClockSkew(url: string, options: CliOptions): Promise<CheckResult> {
  try {
    const bounds = skewBounds(await sampleEtcdClock(url, options.registry.tls, options.registry.timeoutMs));
    const detail = `etcd's clock is ${describeSkew(bounds)} from this machine's (HTTP Date of ${url}/version)`;
    return skewExceeds(bounds, options.maxClockSkewMs)
      ? fail('clock skew', `${detail}: more than ${options.maxClockSkewMs} ms`)
      : ok('clock skew', detail);
  } catch (e) {
    return fail('clock skew', `could not read etcd's clock: ${reason(e)}`);
  }
}

/** Runs every check, in order; later checks are skipped when no endpoint answers or access is refused. */
async function runChecks(options: CliOptions): Promise<CheckResult[]> {
  const { results, reachable } = await checkEndpoints(options.registry);
  if (reachable.length === 0) return [...results, ...LATER.map((c) => skip(c, 'no endpoint answered'))];
  const resolved = resolveRegistryOptions(options.registry);
  // The cluster's checks go to the endpoints that answered: a hung one (it accepts connections and
  // never answers) is reported above and must not fail a read or a grant that another one answers.
  const client = createEtcdClient(resolveRegistryOptions({ ...options.registry, endpoints: reachable.map((r) => r.endpoint) }));
  try {
    const access = await checkAccess({
      client,
      key: `${resolved.namespace}${options.prefix}`,
      prefix: options.prefix,
      username: resolved.username,
      timeoutMs: resolved.timeoutMs,
      write: options.write,
    });
    results.push(...access);
    if (access[0].check === 'auth' && access[0].outcome === 'fail') results.push(skip('lease minimum TTL', 'not authenticated'));
    else results.push(await checkLeaseTtl(client, resolved.ttlSeconds, resolved.timeoutMs));
  } finally {
    client.close();
  }
  results.push(await checkClockSkew(reachable[0].url, options));
  return results;
}

/**
 * `doctor`: one line per check (ok, warn, fail, skip), then a summary; exit 0 unless a check
 * failed (3 no endpoint answered, 4 auth or permission refused, 1 any other failure).
 */
export async function doctorCommand(options: CliOptions, io: CliIo): Promise<ExitCode> {
  const results = await runChecks(options);
  const code = doctorExitCode(results);
  if (options.json) {
    io.out(JSON.stringify({ checks: results.map(({ check, outcome, detail }) => ({ check, outcome, detail })), exitCode: code }, null, 2));
    return code;
  }
  const width = Math.max(...results.map((r) => r.check.length));
  for (const r of results) io.out(`${r.outcome.padEnd(4)}  ${printable(r.check).padEnd(width)}  ${printable(r.detail)}`);
  const count = (o: string) => results.filter((r) => r.outcome === o).length;
  io.out(`doctor: ${count('ok')} ok, ${count('warn')} warning(s), ${count('fail')} failed, ${count('skip')} skipped; exit ${code}`);
  return code;
}
