import { setImmediate as realSetImmediate } from 'timers';
import { RegistryClosedError, RegistryUnavailableError, ServiceConflictError } from '../core/errors';
import { HandlerDelivery, loggedDeliveryReports } from '../core/watch/handler-delivery';
import { assertHandler, assertPath, assertPrefix, assertValue } from '../core/input-validation';
import { messages } from '../core/messages';
import type { ResolvedRegistryOptions } from '../core/options';
import type { Registry, ServiceMap, WatchHandler, WatchSubscription } from '../core/registry.interface';
import { ServiceMapState } from '../core/watch/service-map-state';
import type { RegistryStatus } from '../core/status.interface';
import { InMemoryRegistryOptions, resolveInMemoryOptions } from './in-memory-options';
import { testingMessages } from './messages';

/** A key as the in-memory etcd holds it: its value and the lease it is under. */
interface StoredKey {
  value: string;
  lease: string;
}

/** The lease of another instance (one per addInstance path); `expiresAt` is set once it crashed. */
interface OtherLease {
  ttlSeconds: number;
  expiresAt?: number;
}

/** One watched prefix: the map its handlers were handed and their deliveries (the core's own parts). */
interface PrefixWatch {
  readonly state: ServiceMapState;
  readonly deliveries: Set<HandlerDelivery>;
  revision: number;
}

/**
 * A registry with the etcd registry's contract and no etcd: for tests of code that uses a Registry,
 * RegistryService or @WatchServices. Handlers get the whole map first, then a new map after each
 * change, with the core's own delivery (ordered, never overlapping, coalesced while a handler runs,
 * no call when nothing changed). Paths held by another instance are refused with a
 * ServiceConflictError. Time is a clock the test moves with `advanceTime`; the helpers make other
 * instances appear (`addInstance`), leave (`leave`), crash (`crash`: gone once their TTL has passed on
 * that clock) and etcd unreachable (`setUnavailable`). Every helper resolves once the handlers have
 * had what it changed (`settled`).
 *
 * Differences from etcd, on purpose: nothing waits on a real clock (an unavailable registry rejects at
 * once, with the error the etcd one gives after `timeoutMs`), and this registry's own lease never
 * expires (the etcd one restores its keys anyway).
 */
export class InMemoryRegistry implements Registry {
  /** The options as resolved by the core's resolver (endpoints are a label). */
  readonly options: ResolvedRegistryOptions;
  private readonly store = new Map<string, StoredKey>();
  private readonly otherLeases = new Map<string, OtherLease>();
  private readonly own = new Set<string>();
  private readonly watches = new Map<string, PrefixWatch>();
  private ownLease?: string;
  private nextLease = 7_000_000_000_000_000_000n;
  private revision = 1;
  private clock: number;
  private unavailableSince?: number;
  private flushScheduled = false;
  private closed = false;

  /** Options are checked as the etcd registry checks them (a RegistryOptionsError names a bad one). */
  constructor(options: InMemoryRegistryOptions = {}) {
    this.options = resolveInMemoryOptions(options);
    this.clock = Date.now();
  }

  // --- Registry --------------------------------------------------------------------------------

  async register(path: string, value: string): Promise<void> {
    assertPath(path);
    assertValue(path, value);
    this.assertReachable(`registration of ${JSON.stringify(path)}`);
    const held = this.store.get(path);
    if (held && held.lease !== this.ownLease) throw new ServiceConflictError(path, held.lease, messages.conflict(path, held.lease));
    this.ownLease ??= this.grantLease();
    this.own.add(path);
    this.put(path, value, this.ownLease);
  }

  async unregister(path: string): Promise<void> {
    assertPath(path);
    this.assertReachable(`deletion of ${JSON.stringify(path)}`);
    if (!this.own.delete(path)) return; // never someone else's key
    this.remove([path]);
    if (this.own.size === 0) this.ownLease = undefined; // revoked once no key is left
  }

  async addWatch(prefix: string, fn: WatchHandler): Promise<WatchSubscription> {
    assertPrefix(prefix);
    assertHandler(fn);
    this.assertReachable(`read of prefix ${JSON.stringify(prefix)}`);
    let watch = this.watches.get(prefix);
    if (!watch) {
      watch = { state: new ServiceMapState(), deliveries: new Set(), revision: this.revision };
      watch.state.replace(this.entries(prefix));
      this.watches.set(prefix, watch);
    }
    const delivery = new HandlerDelivery(
      fn,
      watch.state,
      loggedDeliveryReports(this.options.logger, prefix, fn),
      this.options.handlerTimeoutMs,
    );
    watch.deliveries.add(delivery);
    delivery.notify();
    await delivery.first;
    const owner = watch;
    return { prefix, remove: async () => this.removeDelivery(prefix, owner, delivery) };
  }

  async removeWatch(prefix: string): Promise<void> {
    assertPrefix(prefix);
    const watch = this.watches.get(prefix);
    if (!watch) return;
    this.watches.delete(prefix);
    for (const delivery of watch.deliveries) delivery.stop();
  }

  async getServices(prefix: string): Promise<ServiceMap> {
    assertPrefix(prefix);
    this.assertReachable(`read of prefix ${JSON.stringify(prefix)}`);
    return this.read(prefix);
  }

  status(): RegistryStatus {
    const live = this.unavailableSince === undefined;
    return {
      lease: this.ownLease
        ? { id: this.ownLease, ttlSeconds: this.options.ttlSeconds, lastKeepAliveAt: live ? this.clock : this.unavailableSince }
        : undefined,
      registrations: [...this.own].map((path) => ({ path, state: 'registered' as const })),
      watches: [...this.watches].map(([prefix, w]) => ({
        prefix,
        revision: String(w.revision),
        live,
        staleSince: this.unavailableSince,
        handlers: w.deliveries.size,
      })),
      closed: this.closed,
    };
  }

  /** Unregisters everything and stops the watches. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const watch of this.watches.values()) for (const delivery of watch.deliveries) delivery.stop();
    this.watches.clear();
    this.remove([...this.own]);
    this.own.clear();
    this.ownLease = undefined;
  }

  // --- What the test drives ----------------------------------------------------------------------

  /** Now on the test's clock (epoch ms): starts at the real time of creation, moves only with advanceTime. */
  now(): number {
    return this.clock;
  }

  /**
   * Another instance registers `path` = `value` under a lease of its own (default TTL: `ttlSeconds`);
   * again on the same path changes its value. Resolves once the handlers have had it.
   */
  addInstance(path: string, value: string, options: { ttlSeconds?: number } = {}): Promise<void> {
    assertPath(path);
    assertValue(path, value);
    const held = this.store.get(path);
    if (held && held.lease === this.ownLease) throw new Error(testingMessages.heldByThisRegistry(path));
    let lease = held?.lease;
    if (!lease) {
      lease = this.grantLease();
      this.otherLeases.set(lease, { ttlSeconds: options.ttlSeconds ?? this.options.ttlSeconds });
    }
    this.put(path, value, lease);
    return this.settled();
  }

  /** The other instance holding `path` shuts down cleanly: its key is deleted at once. */
  leave(path: string): Promise<void> {
    const lease = this.otherLeaseOf('leave', path);
    this.otherLeases.delete(lease);
    this.remove([path]);
    return this.settled();
  }

  /**
   * The other instance holding `path` dies (SIGKILL): its key stays until its lease's TTL has passed on
   * the test clock (advanceTime), then disappears.
   */
  crash(path: string): Promise<void> {
    const lease = this.otherLeases.get(this.otherLeaseOf('crash', path))!;
    lease.expiresAt ??= this.clock + lease.ttlSeconds * 1000;
    return this.settled();
  }

  /** Moves the test clock: leases whose TTL ran out expire (their keys go in one change). */
  advanceTime(ms: number): Promise<void> {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) throw new RangeError(testingMessages.badDuration(ms));
    this.clock += ms;
    const expired: string[] = [];
    for (const [path, key] of this.store) {
      const lease = this.otherLeases.get(key.lease);
      if (lease?.expiresAt !== undefined && lease.expiresAt <= this.clock) expired.push(path);
    }
    for (const path of expired) this.otherLeases.delete(this.store.get(path)!.lease);
    this.remove(expired);
    return this.settled();
  }

  /**
   * etcd unreachable (true) or back (false). While unreachable, every operation rejects with a
   * RegistryUnavailableError, watches report `live: false` in status() and hand nothing to handlers;
   * once back, each watch delivers the exact current map (one call, not a replay).
   */
  setUnavailable(unavailable: boolean): Promise<void> {
    if (unavailable) {
      this.unavailableSince ??= this.clock;
    } else if (this.unavailableSince !== undefined) {
      this.unavailableSince = undefined;
      for (const [prefix, watch] of this.watches) {
        watch.revision = this.revision;
        if (watch.state.replace(this.entries(prefix))) this.scheduleFlush();
      }
    }
    return this.settled();
  }

  /** What etcd holds under `prefix` now, whatever the registry's state (unavailable, closed). */
  read(prefix = ''): ServiceMap {
    const map: Record<string, string> = Object.create(null);
    for (const [k, v] of this.entries(prefix)) map[k] = v;
    return Object.freeze(map);
  }

  /** Resolves once every change made so far has been handed to every handler and no handler is running. */
  async settled(): Promise<void> {
    // The timers module's own setImmediate: jest's fake timers replace only the global one.
    while (this.flushScheduled || this.anyDeliveryRunning()) await new Promise<void>((resolve) => realSetImmediate(resolve));
  }

  // --- Inside --------------------------------------------------------------------------------------

  private grantLease(): string {
    return String(this.nextLease++);
  }

  private put(path: string, value: string, lease: string): void {
    const before = this.store.get(path);
    this.store.set(path, { value, lease });
    if (before?.value === value) return;
    this.revision++;
    this.applyToWatches((state) => state.put(path, value), path);
  }

  /** Deletes `paths` in one revision (a lease expiry deletes all of its keys at once). */
  private remove(paths: string[]): void {
    const gone = paths.filter((path) => this.store.delete(path));
    if (gone.length === 0) return;
    this.revision++;
    for (const path of gone) this.applyToWatches((state) => state.delete(path), path);
  }

  private applyToWatches(change: (state: ServiceMapState) => boolean, path: string): void {
    if (this.unavailableSince !== undefined) return; // the watches catch up when etcd is back
    for (const [prefix, watch] of this.watches) {
      if (!path.startsWith(prefix)) continue;
      watch.revision = this.revision;
      if (change(watch.state)) this.scheduleFlush();
    }
  }

  /** Hands the latest maps to idle handlers after the current synchronous change (several changes coalesce). */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // A promise job, not queueMicrotask: fake timers (jest, sinon) replace queueMicrotask, never promises.
    void Promise.resolve().then(() => {
      this.flushScheduled = false;
      for (const watch of this.watches.values()) for (const delivery of watch.deliveries) delivery.notify();
    });
  }

  private anyDeliveryRunning(): boolean {
    for (const watch of this.watches.values()) for (const delivery of watch.deliveries) if (delivery.isRunning) return true;
    return false;
  }

  private entries(prefix: string): Map<string, string> {
    const out = new Map<string, string>();
    for (const [path, key] of this.store) if (path.startsWith(prefix)) out.set(path, key.value);
    return out;
  }

  private otherLeaseOf(helper: string, path: string): string {
    const lease = this.store.get(path)?.lease;
    if (lease === undefined || !this.otherLeases.has(lease)) throw new Error(testingMessages.notAnotherInstance(helper, path));
    return lease;
  }

  private removeDelivery(prefix: string, watch: PrefixWatch, delivery: HandlerDelivery): void {
    delivery.stop();
    watch.deliveries.delete(delivery);
    if (watch.deliveries.size === 0 && this.watches.get(prefix) === watch) this.watches.delete(prefix);
  }

  private assertReachable(what: string): void {
    if (this.closed) throw new RegistryClosedError(messages.closed());
    if (this.unavailableSince !== undefined) {
      throw new RegistryUnavailableError(messages.unavailable(this.options.endpoints, this.options.timeoutMs, what));
    }
  }
}
