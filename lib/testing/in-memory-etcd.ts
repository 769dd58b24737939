import { setImmediate as realSetImmediate, setTimeout as realSetTimeout } from 'timers';
import { assertPath, assertValue } from '../core/input-validation';
import { DEFAULT_TTL_SECONDS } from '../core/options';
import type { ServiceMap } from '../core/registry.interface';
import { testingMessages } from './messages';

/** A key as the in-memory etcd holds it: its value and the lease it is under. */
export interface StoredKey {
  readonly value: string;
  readonly lease: string;
}

/** One change of a revision: `value` undefined for a delete. */
export interface KeyChange {
  readonly key: string;
  readonly value?: string;
}

/** What the in-memory etcd tells the registries on it (internal to the kit). */
export interface EtcdMember {
  /** Keys put or deleted in one revision. */
  changed(changes: readonly KeyChange[]): void;
  /** A lease this registry holds expired (its keys are gone). */
  leaseExpired(lease: string): void;
  /** Moves what runs on the kit's clock (lease linger). */
  tick(): void;
  /** True while a change is queued for a handler, or a handler call runs (not past handlerTimeoutMs). */
  readonly busy: boolean;
  setUnavailable(unavailable: boolean): void;
}

interface LeaseRecord {
  readonly ttlSeconds: number;
  /** When the lease expires on the kit's clock; undefined while it is kept alive. */
  expiresAt?: number;
  /** The registry keeping it alive; undefined for another instance (addInstance). */
  holder?: EtcdMember;
}

/** Options of an InMemoryEtcd. */
export interface InMemoryEtcdOptions {
  /** TTL of other instances' leases (addInstance); default 5 s, the registries' default. */
  ttlSeconds?: number | undefined;
}

/** Real milliseconds (process.uptime is never replaced by fake timers, unlike Date, performance and hrtime). */
export const realNow = (): number => process.uptime() * 1000;

/** True while fake timers (sinon's, which jest and vitest use) have replaced Date. */
const fakeDate = (): boolean => (Date as { isFake?: boolean }).isFake === true;

/** Resolves once `condition` holds, checked on each turn of the real event loop (never on fake timers). */
export async function realUntil(condition: () => boolean): Promise<void> {
  for (let turn = 0; !condition(); turn++) {
    await new Promise<void>((resolve) => (turn < 200 ? realSetImmediate(resolve) : realSetTimeout(resolve, 2)));
  }
}

/**
 * An etcd in memory, shared by every InMemoryRegistry made on it (`registry()` or the `etcd`
 * option): several applications in one test, each with its own lease. A path held by one is
 * refused to the others (ServiceConflictError), and what one does (register, close, crash) the
 * others' watches see.
 *
 * Time: the kit's clock moves only when the test moves it, never with real time, so a test
 * cannot depend on how fast the machine is: it reads the time this etcd was made plus what
 * `advanceTime` added; while fake timers are installed (jest's or vitest's, both sinon's, whose
 * `Date.isFake` is true) it reads their `Date.now()` plus what `advanceTime` added. Leases expire on
 * that clock; an expiry is applied at the next call into the kit (any registry method, helper or
 * read) or by `advanceTime`.
 */
export class InMemoryEtcd {
  readonly ttlSeconds: number;
  private readonly store = new Map<string, StoredKey>();
  private readonly leases = new Map<string, LeaseRecord>();
  private readonly members = new Set<EtcdMember>();
  private nextLease = 7_000_000_000_000_000_000n;
  private revisionValue = 1;
  private offset = 0;
  private readonly madeAt = Date.now();

  constructor(options: InMemoryEtcdOptions = {}) {
    const ttl = options.ttlSeconds ?? DEFAULT_TTL_SECONDS;
    if (!Number.isInteger(ttl) || ttl < 1) throw new RangeError(testingMessages.badTtl(ttl));
    this.ttlSeconds = ttl;
  }

  /** Now on the kit's clock (epoch ms): when this etcd was made (fake timers: their Date.now()) plus every advanceTime. */
  now(): number {
    return (fakeDate() ? Date.now() : this.madeAt) + this.offset;
  }

  /** The revision of the last change. */
  get revision(): number {
    return this.revisionValue;
  }

  /**
   * Another instance registers `path` = `value` under a lease of its own (default TTL: the etcd's
   * `ttlSeconds`); again on the same path changes its value. Resolves once the handlers have had it.
   */
  addInstance(path: string, value: string, options: { ttlSeconds?: number | undefined } = {}): Promise<void> {
    assertPath(path);
    assertValue(path, value);
    this.sweep();
    const held = this.store.get(path);
    if (held && this.leases.get(held.lease)?.holder) throw new Error(testingMessages.heldByARegistry(path));
    let lease = held?.lease;
    if (!lease) lease = this.grant(options.ttlSeconds ?? this.ttlSeconds);
    this.put(path, value, lease);
    return this.settled();
  }

  /** The other instance holding `path` shuts down cleanly: its key is deleted at once. */
  leave(path: string): Promise<void> {
    this.sweep();
    this.revoke(this.otherLeaseOf('leave', path));
    return this.settled();
  }

  /**
   * The other instance holding `path` dies (SIGKILL): its key stays until its lease's TTL has passed
   * on the kit's clock, then disappears.
   */
  crash(path: string): Promise<void> {
    this.sweep();
    const lease = this.leases.get(this.otherLeaseOf('crash', path))!;
    lease.expiresAt ??= this.now() + lease.ttlSeconds * 1000;
    return this.settled();
  }

  /** Moves the kit's clock: leases whose TTL ran out expire (each lease's keys go in one revision). */
  advanceTime(ms: number): Promise<void> {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) throw new RangeError(testingMessages.badDuration(ms));
    this.offset += ms;
    this.sweep();
    return this.settled();
  }

  /** Every registry on this etcd loses (true) or gets back (false) its link to it. */
  setUnavailable(unavailable: boolean): Promise<void> {
    for (const member of this.members) member.setUnavailable(unavailable);
    return this.settled();
  }

  /** What etcd holds under `prefix` (full keys, namespaces included), whatever any registry's state. */
  read(prefix = ''): ServiceMap {
    this.sweep();
    const map: Record<string, string> = Object.create(null);
    for (const [key, stored] of this.store) if (key.startsWith(prefix)) map[key] = stored.value;
    return Object.freeze(map);
  }

  /**
   * Resolves once every change made so far has been handed to every handler of every registry on
   * this etcd and no handler call runs; a call running longer than its registry's
   * `handlerTimeoutMs` is not waited for (as addWatch does not wait for it).
   */
  async settled(): Promise<void> {
    await realUntil(() => ![...this.members].some((m) => m.busy));
  }

  // --- For the registries on it (the kit's own; not for tests) -----------------------------------

  /** @internal */
  join(member: EtcdMember): void {
    this.members.add(member);
  }

  /** @internal */
  part(member: EtcdMember): void {
    this.members.delete(member);
  }

  /** @internal */
  get(key: string): StoredKey | undefined {
    return this.store.get(key);
  }

  /** @internal The keys under `prefix`. */
  entries(prefix: string): Map<string, string> {
    const out = new Map<string, string>();
    for (const [key, stored] of this.store) if (key.startsWith(prefix)) out.set(key, stored.value);
    return out;
  }

  /** @internal */
  hasLease(lease: string): boolean {
    return this.leases.has(lease);
  }

  /** @internal A new lease; kept alive by `holder` until expireAfter() or revoke(). */
  grant(ttlSeconds: number, holder?: EtcdMember): string {
    const id = String(this.nextLease++);
    this.leases.set(id, { ttlSeconds, holder });
    return id;
  }

  /** @internal Keep-alives stop (a crash, an outage, a close that could not revoke): expires `ttlSeconds` after `from`. */
  expireAfter(lease: string, from: number, holderGone = false): void {
    const record = this.leases.get(lease);
    if (!record) return;
    record.expiresAt = from + record.ttlSeconds * 1000;
    if (holderGone) record.holder = undefined;
    this.sweep();
  }

  /** @internal Keep-alives resume. */
  keepAlive(lease: string): void {
    const record = this.leases.get(lease);
    if (record) record.expiresAt = undefined;
  }

  /** @internal */
  put(key: string, value: string, lease: string): void {
    const before = this.store.get(key);
    this.store.set(key, { value, lease });
    if (before?.value === value) return;
    this.revisionValue++;
    this.notify([{ key, value }]);
  }

  /** @internal Deletes `keys` in one revision. */
  delete(keys: readonly string[]): void {
    const gone = keys.filter((key) => this.store.delete(key));
    if (gone.length === 0) return;
    this.revisionValue++;
    this.notify(gone.map((key) => ({ key })));
  }

  /** @internal Revokes `lease`: its keys go in one revision. */
  revoke(lease: string): void {
    if (!this.leases.delete(lease)) return;
    this.delete([...this.store].filter(([, stored]) => stored.lease === lease).map(([key]) => key));
  }

  /** @internal Applies what the clock says: expired leases go, registries' lingering leases end. */
  sweep(): void {
    const now = this.now();
    for (const [id, lease] of [...this.leases]) {
      if (lease.expiresAt === undefined || lease.expiresAt > now) continue;
      this.revoke(id);
      lease.holder?.leaseExpired(id);
    }
    for (const member of this.members) member.tick();
  }

  private notify(changes: KeyChange[]): void {
    for (const member of this.members) member.changed(changes);
  }

  private otherLeaseOf(helper: string, path: string): string {
    const lease = this.store.get(path)?.lease;
    const record = lease === undefined ? undefined : this.leases.get(lease);
    if (lease === undefined || !record || record.holder) throw new Error(testingMessages.notAnotherInstance(helper, path));
    return lease;
  }
}
