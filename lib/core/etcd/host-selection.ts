import type { Etcd3 } from 'etcd3';
import { isRecoverableError } from 'etcd3';
import { HostSelection } from './host-order';
import { requireInternals } from './etcd3-internals';
import { OWN_DEADLINE } from './own-ends';

export { AVOID_MAX_MS, AVOID_MIN_MS, HostSelection, hostName } from './host-order';

/** Whether `error`, from a call to one member, says that member failed (rather than etcd answering). */
export function isHostFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return error.message.includes(OWN_DEADLINE) || isRecoverableError(error);
}

/** The parts of etcd3 1.1.2's ConnectionPool (lib/connection-pool.js) the patches here use: private, checked by poolMissing. */
export interface PoolHost {
  host: string;
  getServiceClient(name: string): unknown;
  /** The host's policy (fault-handling.ts gives it). */
  faultHandling?: unknown;
}
export interface EtcdPool {
  hosts: PoolHost[];
  shuffledHosts(): Generator<PoolHost>;
  withConnection(...args: unknown[]): unknown;
  exec(...args: unknown[]): unknown;
  options?: { auth?: unknown };
  mockImpl?: unknown;
}

const selections = new WeakMap<object, HostSelection>();

/** The selection installed on a client (`Etcd3`) or its pool, if any. */
export function hostSelectionOf(clientOrPool: object | undefined): HostSelection | undefined {
  return clientOrPool === undefined ? undefined : selections.get(clientOrPool);
}

/** The client's ConnectionPool (etcd3's private `pool`), unchecked. */
export function poolOf(client: Etcd3): Partial<EtcdPool> | undefined {
  return (client as unknown as { pool?: Partial<EtcdPool> }).pool;
}

/** What of the pool's shape the host selection relies on is missing from `client` (undefined: nothing). */
export function poolMissing(client: Etcd3): string | undefined {
  const pool = poolOf(client);
  if (!pool || typeof pool !== 'object') return 'Etcd3#pool';
  if (!Array.isArray(pool.hosts) || pool.hosts.length === 0) return 'ConnectionPool#hosts';
  if (typeof pool.shuffledHosts !== 'function') return 'ConnectionPool#shuffledHosts()';
  if (typeof pool.withConnection !== 'function' || typeof pool.exec !== 'function') return 'ConnectionPool#exec() and #withConnection()';
  if (!pool.hosts.every((h) => typeof h.host === 'string' && typeof h.getServiceClient === 'function')) {
    return 'Host#host and Host#getServiceClient()';
  }
  // exec and withConnection must take their hosts from the generator we replace (withConnection's third parameter defaults to it).
  if (!/shuffledHosts\(\)/.test(String(pool.withConnection)) || !/shuffledHosts\(\)/.test(String(pool.exec))) {
    return 'ConnectionPool#exec() and #withConnection() taking their hosts from this.shuffledHosts()';
  }
  return undefined;
}

/**
 * The one place that patches how etcd3 chooses a member.
 *
 * What etcd3 1.1.2 does (lib/connection-pool.js): every unary call (`exec`) and every stream
 * (`withConnection`) walks a fresh `shuffledHosts()` generator, an endless Fisher-Yates shuffle of
 * the hosts; a host is skipped only while its default circuit breaker is open (3 recoverable
 * failures in a row; fault-handling.ts gives none). A call that ends by our own deadline is not a
 * recoverable failure (host-failure.interceptor.ts, so it never resets the connection), so a hung
 * member, one that accepts connections and never answers, was never skipped: every third call
 * waited its whole deadline on it.
 *
 * Why it is patched: the patch replaces the pool's `shuffledHosts` (on this instance only) with one
 * that yields the hosts in `HostSelection` order: usable members shuffled, avoided ones last.
 * Failures are learnt through etcd3's public per-host fault policy (fault-handling.ts).
 *
 * What it relies on: the private `pool` of the client, its `hosts` (`host`, `getServiceClient`),
 * and `exec`/`withConnection` walking `this.shuffledHosts()`. When the installed etcd3 lacks them
 * this throws an Etcd3InternalsError naming etcd3's version, at the client's creation;
 * test/integration/etcd3-contract.spec.ts and host-selection.spec.ts fail first.
 */
export function installHostSelection(client: Etcd3, selection: HostSelection): HostSelection {
  requireInternals('host-selection.ts (which member a call goes to)', poolMissing(client));
  const pool = poolOf(client) as EtcdPool;
  const hosts = pool.hosts;
  pool.shuffledHosts = function* (): Generator<PoolHost> {
    for (;;) for (const host of selection.ordered(hosts, (h) => h.host)) yield host;
  };
  selections.set(client, selection);
  selections.set(pool, selection);
  return selection;
}
