import type { Etcd3 } from 'etcd3';
import { ExitCode } from '../exit-codes';
import { isAuthRequired } from '../cli-errors';
import { cliMessages } from '../messages';
import { CheckResult, fail, ok, reason, skip, within } from './check-result';

const isDenied = (e: unknown) => e instanceof Error && /permission denied/i.test(e.message);
const isBadCredentials = (e: unknown) => e instanceof Error && /authentication failed|invalid user ID or password/i.test(e.message);

export interface AccessCheckInput {
  client: Etcd3;
  /** The prefix with the namespace in front, as etcd holds it. */
  key: string;
  /** The prefix as the user gave it (for the messages). */
  prefix: string;
  username?: string;
  timeoutMs: number;
  write: boolean;
}

/**
 * Auth (the credentials are accepted, or etcd needs none), read permission on the prefix (a count
 * of its keys), and with `write` the write permission: a transaction whose condition never holds
 * (create revision < 0) with a put in its success branch. etcd checks the permission of every
 * request of a transaction, run or not, so it is refused exactly when a put would be, and it
 * writes nothing (no key appears to the fleet's watchers).
 */
export async function checkAccess(input: AccessCheckInput): Promise<CheckResult[]> {
  const { client, key, prefix, username, timeoutMs } = input;
  const results: CheckResult[] = [];
  let count: number;
  try {
    count = await within(timeoutMs, client.getAll().prefix(key).count(), `read of ${prefix}`);
  } catch (e) {
    if (isBadCredentials(e))
      return [fail('auth', `etcd refused the credentials of user ${JSON.stringify(username)}: ${reason(e)}`, ExitCode.denied)];
    if (isAuthRequired(e)) return [fail('auth', cliMessages.authRequired(), ExitCode.denied)];
    results.push(username ? ok('auth', `authenticated as ${username}`) : ok('auth', 'no credentials given'));
    if (isDenied(e))
      results.push(
        fail(`read ${prefix}`, `user ${JSON.stringify(username)} may not read ${key}: grant its role read on that prefix`, ExitCode.denied),
      );
    else results.push(fail(`read ${prefix}`, reason(e)));
    return results;
  }
  results.push(username ? ok('auth', `authenticated as ${username}`) : ok('auth', 'etcd has auth disabled (no credentials given)'));
  results.push(ok(`read ${prefix}`, `allowed (${count} key${count === 1 ? '' : 's'})`));
  if (!input.write) {
    results.push(skip(`write ${prefix}`, 'not checked (add --write; a watch-only application needs read only)'));
    return results;
  }
  const probe = `${key}.nestjs-etcd-registry-doctor`;
  try {
    const txn = client.if(probe, 'Create', '<', 0).then(client.put(probe).value('')).commit();
    await within(timeoutMs, txn, `write check of ${prefix}`);
    results.push(ok(`write ${prefix}`, 'allowed (checked with a transaction that writes nothing)'));
  } catch (e) {
    if (isDenied(e))
      results.push(
        fail(
          `write ${prefix}`,
          `user ${JSON.stringify(username)} may not write under ${key}: grant its role readwrite on that prefix`,
          ExitCode.denied,
        ),
      );
    else results.push(fail(`write ${prefix}`, reason(e)));
  }
  return results;
}
