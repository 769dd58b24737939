import type { Etcd3 } from 'etcd3';
import { isRecoverableError } from 'etcd3';
import { monotonicNow } from '../deadline';
import { OWN_DEADLINE } from '../host-failure.interceptor';

/** How long a member that stalled or failed is avoided: doubled per failure in a row, up to the max. */
export const AVOID_MIN_MS = 2000;
export const AVOID_MAX_MS = 30_000;

interface HostState {
  avoidUntil: number;
  /** Failures in a row (reset when the last one is older than AVOID_MAX_MS, or on an answer). */
  failures: number;
  /** When the last counted failure (the one that set avoidUntil) happened. */
  lastFailureAt: number;
  /** When a call to it last failed, counted or not (every member avoided: the one that failed longest ago goes first). */
  lastFailedCallAt: number;
}

/**
 * Which etcd member a call goes to. A member that failed a call at the host level (its connection
 * refused or dropped, no leader, or no answer before the call's own deadline: a hung member) is
 * avoided for a while: calls go to the others first, and to it only when every member is avoided.
 * Then the one whose last failed call is the oldest goes first: during an election every member
 * can fail a call at once (the dead one refuses, followers without a leader do not answer), and a
 * member that keeps refusing at once goes to the back after each refusal instead of taking every
 * attempt. The operation runner asks `hasAlternative()` to decide whether an attempt gets a short
 * deadline (another member can take the next attempt) or the whole remaining budget with another
 * attempt started next to it past its time (nowhere else to go: a slow but working link must not
 * be cut).
 */
export class HostSelection {
  private readonly state = new Map<string, HostState>();

  constructor(
    readonly names: readonly string[],
    private readonly random: () => number = Math.random,
    private readonly now: () => number = monotonicNow,
  ) {}

  /** `hosts` in the order to try them: usable ones shuffled (as etcd3 spreads calls), then avoided ones, longest since a failed call first. */
  ordered<T>(hosts: readonly T[], nameOf: (host: T) => string, preferred?: T): T[] {
    const now = this.now();
    const usable: T[] = [];
    const avoided: { host: T; failedAt: number }[] = [];
    for (const host of hosts) {
      const s = this.state.get(nameOf(host));
      if (s !== undefined && s.avoidUntil > now) avoided.push({ host, failedAt: s.lastFailedCallAt });
      else usable.push(host);
    }
    for (let i = usable.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [usable[i], usable[j]] = [usable[j], usable[i]];
    }
    if (preferred !== undefined) {
      const at = usable.indexOf(preferred);
      if (at > 0) usable.unshift(...usable.splice(at, 1));
    }
    avoided.sort((a, b) => a.failedAt - b.failedAt);
    return [...usable, ...avoided.map((a) => a.host)];
  }

  /** True when at least two members are usable now: an attempt that stalls on one can go to another. */
  hasAlternative(): boolean {
    const now = this.now();
    let usable = 0;
    for (const name of this.names) if ((this.state.get(name)?.avoidUntil ?? 0) <= now && ++usable >= 2) return true;
    return false;
  }

  /** True while `name` is avoided. */
  isAvoided(name: string): boolean {
    return (this.state.get(name)?.avoidUntil ?? 0) > this.now();
  }

  /** `name` failed a call at the host level: avoid it (longer when it keeps failing). */
  failed(name: string): void {
    const now = this.now();
    const s = this.state.get(name) ?? { avoidUntil: 0, failures: 0, lastFailureAt: -Infinity, lastFailedCallAt: -Infinity };
    s.lastFailedCallAt = now;
    this.state.set(name, s);
    // A failure while still avoided (calls sent before it was marked, or while every member was
    // avoided) does not lengthen the wait; it only sends the member to the back of the avoided ones.
    if (s.avoidUntil > now) return;
    s.failures = now - s.lastFailureAt > AVOID_MAX_MS ? 1 : s.failures + 1;
    s.lastFailureAt = now;
    s.avoidUntil = now + Math.min(AVOID_MAX_MS, AVOID_MIN_MS * 2 ** (s.failures - 1));
  }

  /** `name` answered a unary call: it is usable at once and its failure count starts over. */
  answered(name: string): void {
    if (this.state.has(name)) this.state.delete(name);
  }
}

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

/** etcd3's host names: the endpoint without its scheme (its removeProtocolPrefix). */
export function hostName(endpoint: string): string {
  return endpoint.replace(/^https?:\/\//, '');
}
