import { setImmediate as realSetImmediate } from 'timers';
import { RegistryClosedError, RegistryUnavailableError, ServiceConflictError, WatchRemovedError } from '../core/errors';
import { RegistryEvents } from '../core/events/registry-events';
import type { BackoffPolicy } from '../core/backoff';
import { HandlerDelivery, handlerReports } from '../core/watch/handler-delivery';
import type { FirstCall } from '../core/watch/handler-delivery';
import { assertHandler, assertPath, assertPrefix, assertValue, resolveWatchOptions } from '../core/input-validation';
import { messages } from '../core/messages';
import type { ResolvedRegistryOptions } from '../core/options';
import type { MapChanges, Registry, ServiceMap, WatchHandler, WatchOptions, WatchSubscription } from '../core/registry.interface';
import { ServiceMapState } from '../core/watch/service-map-state';
import type { RegistrationStatus, RegistryStatus } from '../core/status.interface';
import { EtcdMember, InMemoryEtcd, KeyChange, realNow, realUntil } from './in-memory-etcd';
import { InMemoryRegistryOptions, resolveInMemoryOptions } from './in-memory-options';
import { testingMessages } from './messages';

/** One handler: its delivery (the core's own), and when its current call started (real ms), if one runs. */
interface Subscriber {
  readonly delivery: HandlerDelivery;
  callStartedAt?: number;
}

/** One watched prefix: the map its handlers are handed and their deliveries. */
interface PrefixWatch {
  readonly state: ServiceMapState;
  readonly subscribers: Set<Subscriber>;
  revision: number;
}

/**
 * A registry with the etcd registry's contract and no etcd, for tests of code that uses a
 * Registry, RegistryService or @WatchServices. It sits on an InMemoryEtcd: its own (the default)
 * or one shared with other registries (`etcd` option: several applications in one test, each
 * with its own lease).
 *
 * What it keeps of the etcd registry: handlers get the whole map first, then a new map after each
 * change, with the core's own delivery (ordered, never overlapping, coalesced while a handler runs,
 * no call when nothing changed), always AFTER the call that made the change has resolved (the etcd
 * registry may deliver before or after: a test awaits `settled()` or waits for the handler);
 * `events` (registered, unregistered, delivered, watch-stale, watch-live, lease-lost, restored,
 * error); `ping()`; a path held by another lease is refused with a ServiceConflictError; outages
 * as etcd has them: an unregister or a re-register of a registered path that fails drops the path
 * (its key goes once etcd is back), a close during an outage leaves the keys until the lease's TTL
 * has passed, and an outage longer than the TTL loses the lease (restored once back).
 *
 * Time is the InMemoryEtcd's clock (moved by `advanceTime` and fake timers, never by real time): status() and events use it.
 * The helpers (addInstance, leave, crash, advanceTime, setUnavailable) resolve once the handlers
 * have had what they changed (`settled`), never waiting for a call longer than `handlerTimeoutMs`.
 *
 * Differences from etcd, on purpose: nothing waits on a real clock (an unavailable registry rejects
 * at once, with the error the etcd one gives after `timeoutMs`).
 */
export class InMemoryRegistry implements Registry {
  /** The options as resolved by the core's resolver (endpoints are a label; events on the kit's clock). */
  readonly options: ResolvedRegistryOptions;
  /** The etcd this registry is on (shared with the registries made with the same `etcd` option). */
  readonly etcd: InMemoryEtcd;
  private readonly own = new Map<string, string>();
  /** Paths dropped during an outage whose key of ours is deleted once etcd is back. */
  private readonly tombstones = new Set<string>();
  private readonly watches = new Map<string, PrefixWatch>();
  private readonly member: EtcdMember;
  private lease?: string;
  private lingerUntil?: number;
  private leaseLost = false;
  private unavailableSince?: number;
  private lastKeepAliveAt?: number;
  private flushScheduled = false;
  private closed = false;

  /**
   * Options are checked as the etcd registry checks them (a RegistryOptionsError names a bad one).
   * `etcd` (or the `etcd` option): the InMemoryEtcd to sit on; default a new one of its own.
   */
  constructor(options: InMemoryRegistryOptions = {}, etcd: InMemoryEtcd | undefined = options?.etcd) {
    const resolved = resolveInMemoryOptions(options);
    this.etcd = etcd ?? new InMemoryEtcd({ ttlSeconds: resolved.ttlSeconds });
    this.options = { ...resolved, events: new RegistryEvents(resolved.logger, () => this.etcd.now()) };
    this.member = this.asMember();
    this.etcd.join(this.member);
  }

  /** What the registry reports as it happens, on the kit's clock. */
  get events(): RegistryEvents {
    return this.options.events;
  }

  // --- Registry --------------------------------------------------------------------------------

  async register(path: string, value: string): Promise<void> {
    assertPath(path);
    assertValue(path, value, this.options.namespace, this.options.username);
    this.assertOpen();
    this.etcd.sweep();
    if (this.unavailableSince !== undefined) {
      this.drop(path); // as the etcd registry: a failed re-register drops the path
      throw this.unavailable(messages.registering(path, 1));
    }
    const key = this.key(path);
    const held = this.etcd.get(key);
    if (held && held.lease !== this.lease) {
      if (this.own.has(path)) this.drop(path);
      throw new ServiceConflictError(path, held.lease, messages.conflict(path, held.lease));
    }
    if (!this.lease || !this.etcd.hasLease(this.lease)) this.lease = this.etcd.grant(this.options.ttlSeconds, this.member);
    this.lingerUntil = undefined;
    this.lastKeepAliveAt = this.etcd.now();
    this.tombstones.delete(path);
    this.own.set(path, value);
    this.etcd.put(key, value, this.lease);
    this.events.emit({ type: 'registered', path, lease: this.lease });
  }

  async unregister(path: string): Promise<void> {
    assertPath(path);
    this.assertOpen();
    this.etcd.sweep();
    if (!this.own.has(path)) return; // never someone else's key (and nothing to send)
    if (this.unavailableSince !== undefined) {
      this.drop(path);
      throw this.unavailable(`unregistration of ${JSON.stringify(path)}`);
    }
    this.own.delete(path);
    this.deleteOwnKey(path);
    this.events.emit({ type: 'unregistered', path });
    if (this.own.size > 0 || !this.lease) return;
    if (this.options.leaseLingerMs > 0) this.lingerUntil = this.etcd.now() + this.options.leaseLingerMs;
    else this.revokeLease();
  }

  async addWatch(prefix: string, fn: WatchHandler, options?: WatchOptions): Promise<WatchSubscription> {
    assertPrefix(prefix);
    assertHandler(fn);
    const { name, retry } = resolveWatchOptions(fn.name, options);
    this.assertOpen();
    this.etcd.sweep();
    if (this.unavailableSince !== undefined) throw this.unavailable(`read of prefix ${JSON.stringify(prefix)}`);
    let watch = this.watches.get(prefix);
    if (!watch) {
      watch = { state: new ServiceMapState(), subscribers: new Set(), revision: this.etcd.revision };
      watch.state.replace(this.entries(prefix));
      this.watches.set(prefix, watch);
    }
    const owner = watch;
    // The first read takes a turn of the event loop, as etcd's does: a removeWatch or close() meanwhile wins.
    await new Promise<void>((resolve) => realSetImmediate(resolve));
    this.assertOpen();
    if (this.watches.get(prefix) !== owner) throw new WatchRemovedError(prefix, messages.watchRemoved(prefix));
    const subscriber = this.subscribe(prefix, owner, fn, name, retry);
    subscriber.delivery.notify();
    // The first call, or handlerTimeoutMs of it (measured on a real clock: fake timers never hold it up).
    let first: FirstCall | undefined;
    void subscriber.delivery.first.then((how) => (first = how));
    await realUntil(() => first !== undefined || this.overdue(subscriber));
    if (first === 'stopped') {
      this.assertOpen();
      throw new WatchRemovedError(prefix, messages.watchRemoved(prefix));
    }
    return { prefix, remove: async () => this.unsubscribe(prefix, owner, subscriber) };
  }

  async removeWatch(prefix: string): Promise<void> {
    assertPrefix(prefix);
    const watch = this.watches.get(prefix);
    if (!watch) return;
    this.watches.delete(prefix);
    for (const subscriber of watch.subscribers) subscriber.delivery.stop();
  }

  async getServices(prefix: string): Promise<ServiceMap> {
    assertPrefix(prefix);
    this.assertOpen();
    this.etcd.sweep();
    if (this.unavailableSince !== undefined) throw this.unavailable(`read of prefix ${JSON.stringify(prefix)}`);
    return this.read(prefix);
  }

  /** Resolves while etcd is reachable; rejects with RegistryUnavailableError during an outage, RegistryClosedError once closed. */
  async ping(): Promise<void> {
    this.assertOpen();
    if (this.unavailableSince !== undefined) throw this.unavailable('health probe (status of an etcd member)');
  }

  /** The etcd registry's snapshot; times on the kit's clock. */
  status(): RegistryStatus {
    this.etcd.sweep();
    const live = this.unavailableSince === undefined;
    const lease = this.lease && !this.leaseLost ? this.lease : undefined;
    return {
      lease: lease
        ? { id: lease, ttlSeconds: this.options.ttlSeconds, lastKeepAliveAt: live ? this.etcd.now() : this.lastKeepAliveAt }
        : undefined,
      registrations: [...this.own.keys()].map((path) => this.registrationStatus(path)),
      watches: [...this.watches].map(([prefix, w]) => ({
        prefix,
        revision: String(w.revision),
        live,
        staleSince: this.unavailableSince,
        handlers: w.subscribers.size,
      })),
      closed: this.closed,
    };
  }

  /**
   * Unregisters everything (one revoke) and stops the watches. During an outage the revoke cannot
   * reach etcd: the keys stay until the lease's TTL has passed on the kit's clock, as with etcd.
   * Idempotent.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopWatches();
    if (this.lease && this.unavailableSince !== undefined) this.etcd.expireAfter(this.lease, this.lastKeepAliveAt ?? this.etcd.now(), true);
    else this.revokeLease();
    this.own.clear();
    this.tombstones.clear();
    this.lease = undefined;
    this.etcd.part(this.member);
  }

  // --- What the test drives ----------------------------------------------------------------------

  /**
   * This application dies (SIGKILL): its watches stop, every method rejects with a
   * RegistryClosedError, and its keys stay until its lease's TTL has passed on the kit's clock
   * (other registries on the same etcd see them go then).
   */
  kill(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.stopWatches();
      if (this.lease) this.etcd.expireAfter(this.lease, this.lastKeepAliveAt ?? this.etcd.now(), true);
      this.own.clear();
      this.lease = undefined;
      this.etcd.part(this.member);
    }
    return this.etcd.settled();
  }

  /** Now on the kit's clock (epoch ms): see InMemoryEtcd.now(). */
  now(): number {
    return this.etcd.now();
  }

  /** Another instance registers `path` = `value` under a lease of its own (see InMemoryEtcd.addInstance). */
  addInstance(path: string, value: string, options: { ttlSeconds?: number | undefined } = {}): Promise<void> {
    assertPath(path);
    if (this.own.has(path)) throw new Error(testingMessages.heldByThisRegistry(path));
    return this.etcd.addInstance(this.key(path), value, options);
  }

  /** The other instance holding `path` shuts down cleanly: its key is deleted at once. */
  leave(path: string): Promise<void> {
    return this.etcd.leave(this.key(path));
  }

  /** The other instance holding `path` dies: its key stays until its lease's TTL has passed (advanceTime). */
  crash(path: string): Promise<void> {
    return this.etcd.crash(this.key(path));
  }

  /** Moves the kit's clock (of the whole etcd): leases whose TTL ran out expire. */
  advanceTime(ms: number): Promise<void> {
    return this.etcd.advanceTime(ms);
  }

  /**
   * etcd unreachable from this registry (true) or reachable again (false). While unreachable, every
   * operation and ping() reject with a RegistryUnavailableError, watches report `live: false` since
   * the outage's start and hand nothing to handlers, and the lease is not kept alive (past its TTL
   * it expires: the keys go, and come back under a new lease once etcd is reachable). Once back, each
   * watch delivers the exact current map (one call, not a replay).
   */
  setUnavailable(unavailable: boolean): Promise<void> {
    this.member.setUnavailable(unavailable);
    return this.etcd.settled();
  }

  /** What etcd holds under `prefix` (paths without this registry's namespace), whatever the registry's state. */
  read(prefix = ''): ServiceMap {
    this.etcd.sweep();
    const map: Record<string, string> = Object.create(null);
    for (const [k, v] of this.entries(prefix)) map[k] = v;
    return Object.freeze(map);
  }

  /**
   * Resolves once every change made so far has been handed to every handler (of every registry on
   * this etcd) and no handler call runs, a call past `handlerTimeoutMs` excepted.
   */
  settled(): Promise<void> {
    return this.etcd.settled();
  }

  // --- Inside --------------------------------------------------------------------------------------

  private asMember(): EtcdMember {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    return {
      changed: (changes) => this.changed(changes),
      leaseExpired: (lease) => this.leaseExpired(lease),
      tick: () => this.tick(),
      get busy() {
        return self.flushScheduled || [...self.watches.values()].some((w) => [...w.subscribers].some((s) => self.inCall(s)));
      },
      setUnavailable: (unavailable) => this.setLink(unavailable),
    };
  }

  private key(path: string): string {
    return this.options.namespace + path;
  }

  private entries(prefix: string): Map<string, string> {
    const ns = this.options.namespace;
    const out = new Map<string, string>();
    for (const [key, value] of this.etcd.entries(ns + prefix)) out.set(key.slice(ns.length), value);
    return out;
  }

  private changed(changes: readonly KeyChange[]): void {
    if (this.closed || this.unavailableSince !== undefined) return; // the watches catch up when etcd is back
    const ns = this.options.namespace;
    for (const { key, value } of changes) {
      if (!key.startsWith(ns)) continue;
      const path = key.slice(ns.length);
      for (const [prefix, watch] of this.watches) {
        if (!path.startsWith(prefix)) continue;
        watch.revision = this.etcd.revision;
        if (value === undefined ? watch.state.delete(path) : watch.state.put(path, value)) this.scheduleFlush();
      }
    }
  }

  private leaseExpired(lease: string): void {
    if (lease !== this.lease || this.closed) return;
    this.leaseLost = true;
    if (this.own.size === 0) {
      this.lease = undefined;
      this.leaseLost = false;
      return;
    }
    this.events.emit({ type: 'lease-lost', lease, cause: 'the lease expired (no keep-alive within its TTL)', keys: this.own.size });
    if (this.unavailableSince === undefined) this.restore();
  }

  /** A new lease and every registered key written again under it (after the lease was lost). */
  private restore(): void {
    this.lease = this.etcd.grant(this.options.ttlSeconds, this.member);
    this.leaseLost = false;
    this.lastKeepAliveAt = this.etcd.now();
    let rewritten = 0;
    for (const [path, value] of this.own) {
      const held = this.etcd.get(this.key(path));
      if (held && held.lease !== this.lease) continue; // taken meanwhile: a conflict in status()
      this.etcd.put(this.key(path), value, this.lease);
      rewritten++;
    }
    this.events.emit({ type: 'lease-restored', lease: this.lease, keys: rewritten });
  }

  private tick(): void {
    if (this.lingerUntil === undefined || this.lingerUntil > this.etcd.now() || this.unavailableSince !== undefined) return;
    this.lingerUntil = undefined;
    if (this.own.size === 0) this.revokeLease();
  }

  private setLink(unavailable: boolean): void {
    if (this.closed) return;
    if (unavailable) {
      if (this.unavailableSince !== undefined) return;
      this.unavailableSince = this.etcd.now();
      this.lastKeepAliveAt = this.unavailableSince;
      if (this.lease) this.etcd.expireAfter(this.lease, this.unavailableSince);
      for (const prefix of this.watches.keys()) this.events.emit({ type: 'watch-stale', prefix, reason: 'etcd unreachable (testing kit)' });
      return;
    }
    if (this.unavailableSince === undefined) return;
    const since = this.unavailableSince;
    this.etcd.sweep();
    // Still cut off from the watches: what this registry deletes now is in the map read below.
    for (const path of this.tombstones) this.deleteOwnKey(path);
    this.tombstones.clear();
    if (this.lease && this.etcd.hasLease(this.lease)) this.etcd.keepAlive(this.lease);
    this.unavailableSince = undefined;
    this.lastKeepAliveAt = this.etcd.now();
    if (this.leaseLost) this.restore();
    else if (this.own.size === 0 && this.lease && this.lingerUntil === undefined) this.revokeLease();
    for (const [prefix, watch] of this.watches) {
      watch.revision = this.etcd.revision;
      if (watch.state.replace(this.entries(prefix))) this.scheduleFlush();
      this.events.emit({ type: 'watch-live', prefix, staleMs: this.etcd.now() - since });
    }
  }

  /** A path leaves the registry's set; its key of ours, if any, is deleted once etcd answers. */
  private drop(path: string): void {
    if (!this.own.delete(path)) return;
    if (this.unavailableSince !== undefined) this.tombstones.add(path);
    else this.deleteOwnKey(path);
  }

  private deleteOwnKey(path: string): void {
    const key = this.key(path);
    if (this.lease !== undefined && this.etcd.get(key)?.lease === this.lease) this.etcd.delete([key]);
  }

  private revokeLease(): void {
    if (this.lease) this.etcd.revoke(this.lease);
    this.lease = undefined;
    this.lingerUntil = undefined;
  }

  private registrationStatus(path: string): RegistrationStatus {
    const held = this.etcd.get(this.key(path));
    if (held && held.lease !== this.lease) return { path, state: 'conflict', conflictWith: held.lease };
    if (this.leaseLost || !held) return { path, state: 'restoring' };
    return { path, state: 'registered' };
  }

  private subscribe(prefix: string, watch: PrefixWatch, fn: WatchHandler, name: string, retry: BackoffPolicy | undefined): Subscriber {
    const subscriber: { delivery?: HandlerDelivery; callStartedAt?: number } = {};
    const timed = (map: ServiceMap, changes: MapChanges): void | Promise<void> => {
      subscriber.callStartedAt = realNow();
      let returned: void | Promise<void>;
      try {
        returned = fn(map, changes);
      } catch (error) {
        subscriber.callStartedAt = undefined;
        throw error;
      }
      if (!returned || typeof (returned as { then?: unknown }).then !== 'function') {
        subscriber.callStartedAt = undefined;
        return returned;
      }
      return Promise.resolve(returned).finally(() => (subscriber.callStartedAt = undefined));
    };
    Object.defineProperty(timed, 'name', { value: fn.name });
    subscriber.delivery = new HandlerDelivery(
      timed,
      watch.state,
      handlerReports(this.options.logger, this.events, prefix, name),
      this.options.handlerTimeoutMs,
      retry,
    );
    const made = subscriber as Subscriber;
    watch.subscribers.add(made);
    return made;
  }

  private unsubscribe(prefix: string, watch: PrefixWatch, subscriber: Subscriber): void {
    subscriber.delivery.stop();
    watch.subscribers.delete(subscriber);
    if (watch.subscribers.size === 0 && this.watches.get(prefix) === watch) this.watches.delete(prefix);
  }

  /** A call that runs (not yet past handlerTimeoutMs), or a change its handler has not had. */
  private inCall(subscriber: Subscriber): boolean {
    if (subscriber.callStartedAt !== undefined) return !this.overdue(subscriber);
    return subscriber.delivery.isRunning;
  }

  /** The handler's current call has run for handlerTimeoutMs: nothing waits for it any longer. */
  private overdue(subscriber: Subscriber): boolean {
    const started = subscriber.callStartedAt;
    return started !== undefined && realNow() - started >= this.options.handlerTimeoutMs;
  }

  /** Hands the latest maps to idle handlers on a later turn (after the call that changed them resolved; changes coalesce). */
  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // The timers module's own setImmediate: jest's and sinon's fake timers replace only the global one.
    realSetImmediate(() => {
      this.flushScheduled = false;
      for (const watch of this.watches.values()) for (const subscriber of watch.subscribers) subscriber.delivery.notify();
    });
  }

  private stopWatches(): void {
    for (const watch of this.watches.values()) for (const subscriber of watch.subscribers) subscriber.delivery.stop();
    this.watches.clear();
  }

  private unavailable(what: string): RegistryUnavailableError {
    return new RegistryUnavailableError(messages.unavailable(this.options.endpoints, this.options.timeoutMs, what));
  }

  private assertOpen(): void {
    if (this.closed) throw new RegistryClosedError(messages.closed());
  }
}
