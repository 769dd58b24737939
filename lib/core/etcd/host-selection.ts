import type { Etcd3 } from 'etcd3';
import { isRecoverableError } from 'etcd3';
import { HostSelection } from './host-order';
import { OWN_DEADLINE } from './host-failure.interceptor';

export { AVOID_MAX_MS, AVOID_MIN_MS, HostSelection, hostName } from './host-order';

/** Whether `error`, from a call to one member, says that member failed (rather than etcd answering). */
export function isHostFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return error.message.includes(OWN_DEADLINE) || isRecoverableError(error);
}

/** The parts of etcd3 1.1.2's ConnectionPool this module uses (internals: checked by installHostSelection). */
interface PoolHost {
  host: string;
  getServiceClient(name: string): unknown;
}
interface PoolShape {
  hosts: PoolHost[];
  shuffledHosts(): Generator<PoolHost>;
  withConnection(...args: unknown[]): unknown;
}

const selections = new WeakMap<object, HostSelection>();

/** The selection installed on a client (`Etcd3`) or its pool, if any. */
export function hostSelectionOf(clientOrPool: object | undefined): HostSelection | undefined {
  return clientOrPool === undefined ? undefined : selections.get(clientOrPool);
}

function poolOf(client: Etcd3): PoolShape | undefined {
  const pool = (client as unknown as { pool?: Partial<PoolShape> }).pool;
  if (!pool || !Array.isArray(pool.hosts) || pool.hosts.length === 0) return undefined;
  if (typeof pool.shuffledHosts !== 'function' || typeof pool.withConnection !== 'function') return undefined;
  if (!pool.hosts.every((h) => typeof h.host === 'string' && typeof h.getServiceClient === 'function')) return undefined;
  // withConnection must take its hosts from the generator we replace (its third parameter defaults to it).
  if (!/shuffledHosts\(\)/.test(String(pool.withConnection)) || !/shuffledHosts\(\)/.test(String((pool as { exec?: unknown }).exec))) {
    return undefined;
  }
  return pool as PoolShape;
}

/**
 * The one place that patches how etcd3 chooses a member.
 *
 * What etcd3 1.1.2 does (lib/connection-pool.js): every unary call (`exec`) and every stream
 * (`withConnection`) walks a fresh `shuffledHosts()` generator, an endless Fisher-Yates shuffle of
 * the hosts; a host is skipped only while its circuit breaker is open (3 recoverable failures in a
 * row, then `halfOpenAfter`). A call that ends by our own deadline is not a recoverable failure
 * (host-failure.interceptor.ts, so it never resets the connection), so a hung member, one that
 * accepts connections and never answers, was never skipped: every third call waited its whole
 * deadline on it.
 *
 * The patch replaces the pool's `shuffledHosts` (on this instance only) with one that yields the
 * hosts in `HostSelection` order: usable members shuffled, avoided ones last. Failures are learnt
 * through etcd3's public per-host fault policy (`faultHandling.host`, see `hostFailurePolicy` use in
 * etcd-client.factory.ts). `test/integration/host-selection.spec.ts` fails when etcd3 no longer
 * goes through `shuffledHosts` or the pool's shape changes; then this returns undefined and
 * etcd3's own choice applies.
 */
export function installHostSelection(client: Etcd3, selection: HostSelection): HostSelection | undefined {
  const pool = poolOf(client);
  if (!pool) return undefined;
  const hosts = pool.hosts;
  pool.shuffledHosts = function* (): Generator<PoolHost> {
    for (;;) for (const host of selection.ordered(hosts, (h) => h.host)) yield host;
  };
  selections.set(client, selection);
  selections.set(pool, selection);
  return selection;
}
