import { Inject, Injectable, Optional, Logger, OnApplicationShutdown, OnModuleDestroy } from '@nestjs/common';
import type { Etcd3 } from 'etcd3';
import { NEVER, Observable, ReplaySubject, takeUntil } from 'rxjs';
import {
  InstanceCodecChoice,
  InstanceHandler,
  InstanceMap,
  Registry,
  RegistryClosedError,
  RegistryEvent,
  RegistryEvents,
  RegistryOptionsError,
  RegistryStatus,
  ServiceMap,
  WatchHandler,
  WatchSubscription,
  getInstances,
  watchInstances,
} from './core';
import { monotonicNow, sleep, withTimeout } from './core/deadline';
import { ETCD_CLIENT, ETCD_REGISTRY, ETCD_REGISTRY_LOGGER_CONTEXT, ETCD_REGISTRY_RESOLVED_OPTIONS } from './etcd-registry.constants';
import type { ResolvedEtcdRegistryModuleOptions } from './etcd-registry.options';
import { nestMessages } from './errors/messages';
import type { ResolvedEtcdRegistryService } from './interfaces';

const reason = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * The registry of this application: offers the core's operations and the configured service's
 * registration, and closes the lease, the watches and the etcd client on shutdown. (When the
 * start-up check, the first maps and the registration happen: RegistryStartup.)
 */
@Injectable()
export class RegistryService implements OnModuleDestroy, OnApplicationShutdown {
  private readonly logger = new Logger(ETCD_REGISTRY_LOGGER_CONTEXT);
  private registered = false;
  private closing?: Promise<void>;
  /** One budget for the whole shutdown (unregister, then close), set when it starts. */
  private shutdownDeadline?: number;
  private isDraining = false;
  /** Emits once this service is closed (replayed to later subscribers): every Observable it gives completes. */
  private readonly closed$ = new ReplaySubject<void>(1);

  /**
   * What the registry reports as it happens: registered, updated, draining, unregistered, lease-lost, lease-restored,
   * watch-resynced, watch-stale, watch-live, delivered, instance-ejected (emitted by the clients),
   * error. Hot: a subscriber gets the events from its subscription on; completes at shutdown.
   */
  readonly events$: Observable<RegistryEvent>;

  constructor(
    @Inject(ETCD_REGISTRY_RESOLVED_OPTIONS) private readonly options: ResolvedEtcdRegistryModuleOptions,
    @Inject(ETCD_REGISTRY) private readonly registry: Registry,
    /** Absent when the testing kit replaces the registry. */
    @Optional() @Inject(ETCD_CLIENT) private readonly client?: Etcd3,
  ) {
    const events = registry.events;
    const source = events ? new Observable<RegistryEvent>((subscriber) => events.on((e) => subscriber.next(e))) : NEVER;
    this.events$ = source.pipe(takeUntil(this.closed$));
  }

  /**
   * The instances under `prefix` by service name (see watchInstances), first the current map,
   * then one per change. Each subscription shares the prefix's one etcd watch; unsubscribing
   * removes its handler; errors when the watch cannot start; completes at shutdown.
   */
  instances$(prefix: string, options: { codec?: InstanceCodecChoice } = {}): Observable<InstanceMap> {
    return new Observable<InstanceMap>((subscriber) => {
      let subscription: WatchSubscription | undefined;
      let unsubscribed = false;
      this.watchInstances(prefix, (map) => subscriber.next(map), options).then(
        (s) => (unsubscribed ? void s.remove().catch(() => undefined) : (subscription = s)),
        (error) => subscriber.error(error),
      );
      return () => {
        unsubscribed = true;
        void subscription?.remove().catch(() => undefined);
      };
    }).pipe(takeUntil(this.closed$));
  }

  /** The core registry's event emitter (what events$ is built on; the metrics wings listen to it); absent for a registry without events. */
  get events(): RegistryEvents | undefined {
    return this.registry.events;
  }

  /** Resolves once etcd answers within `timeoutMs`, else rejects with RegistryUnavailableError (health checks). */
  async ping(timeoutMs?: number): Promise<void> {
    const registry = await this.ready();
    if (registry.ping) await registry.ping(timeoutMs);
  }

  /** True from the start of a graceful drain (shutdown with drainMs): a readiness check is then down. */
  get draining(): boolean {
    return this.isDraining;
  }

  /** The configured instance's key, `${prefix}${name}/${id}`; undefined when no service is configured. */
  get serviceKey(): string | undefined {
    return this.options.service?.key;
  }

  /** The configured instance with its defaults applied (id, prefix, value); undefined when none. */
  get service(): ResolvedEtcdRegistryService | undefined {
    return this.options.service ? { ...this.options.service } : undefined;
  }

  async onModuleDestroy(): Promise<void> {
    this.startShutdownClock();
    if (!this.registered || !this.options.service || this.closing) return;
    try {
      if (this.options.drainMs > 0) await this.drain(this.options.service);
      if (this.registered) await this.withinShutdownBudget(this.unregisterService());
    } catch (e) {
      this.logger.warn(nestMessages.unregisterFailed(this.options.service.key, reason(e)));
    }
  }

  /**
   * Takes the instance out of rotation, then keeps serving for drainMs (counted from the start).
   * A json value is re-written with status `draining` (watchers that pick `up` instances stop
   * picking it; the key stays until the end); a plain value cannot say draining, so the key is
   * deleted first: every watcher stops picking it at once, and requests already routed finish.
   */
  private async drain(service: ResolvedEtcdRegistryService): Promise<void> {
    const started = monotonicNow();
    this.isDraining = true;
    const how = service.drainingValue ? 'marked draining' : 'deleted first: a plain value cannot carry a status';
    this.logger.log(nestMessages.draining(service.key, this.options.drainMs, how));
    const drainingEvent = (mode: 'marked' | 'deleted') =>
      this.registry.events?.emit({ type: 'draining', path: service.key, mode, drainMs: this.options.drainMs });
    if (service.drainingValue) {
      try {
        await this.withinShutdownBudget(this.registry.register(service.key, service.drainingValue));
        drainingEvent('marked');
      } catch (e) {
        this.logger.warn(nestMessages.drainMarkFailed(service.key, reason(e)));
        await this.withinShutdownBudget(this.unregisterService()).catch(() => undefined);
        drainingEvent('deleted');
      }
    } else {
      await this.withinShutdownBudget(this.unregisterService());
      drainingEvent('deleted');
    }
    const left = started + this.options.drainMs - monotonicNow();
    if (left > 0) await (this.options.drainWait ?? sleep)(left);
  }

  /** `work` bounded by what is left of the shutdown budget. */
  private withinShutdownBudget<T>(work: Promise<T>): Promise<T> {
    const left = this.shutdownDeadline === undefined ? undefined : this.shutdownDeadline - monotonicNow();
    return left === undefined ? work : withTimeout(work, Math.max(0, left));
  }

  async onApplicationShutdown(): Promise<void> {
    this.startShutdownClock();
    await this.close();
  }

  /**
   * Shutdown (drain and unregister in onModuleDestroy, then close in onApplicationShutdown) shares
   * one budget of drainMs + timeoutMs, so app.close() ends within about that even while etcd does
   * not answer: keys not deleted in time expire with the lease.
   */
  private startShutdownClock(): void {
    this.shutdownDeadline ??= monotonicNow() + this.options.drainMs + this.options.registry.timeoutMs;
  }

  /** Registers the configured service (`service` option) under this registry's lease. */
  async registerService(): Promise<void> {
    const service = this.requireService();
    await this.register(service.key, service.value);
    this.registered = true;
  }

  /** Deletes the configured service's key (its lease is revoked when no key is left). */
  async unregisterService(): Promise<void> {
    const service = this.requireService();
    await this.unregister(service.key);
    this.registered = false;
  }

  /** Writes `path` = `value` under the registry's lease; resolves once etcd holds it. */
  async register(path: string, value: string): Promise<void> {
    return (await this.ready()).register(path, value);
  }

  /** Deletes `path` if this registry holds it. */
  async unregister(path: string): Promise<void> {
    return (await this.ready()).unregister(path);
  }

  /** Calls `fn` with the map under `prefix`, then after each change; resolves after the first call. */
  async addWatch(prefix: string, fn: WatchHandler): Promise<WatchSubscription> {
    return (await this.ready()).addWatch(prefix, fn);
  }

  /**
   * Calls `fn` with the instances under `prefix` by service name, read by `codec` (default
   * `etcd-service`: plain host:port), then after each change; resolves after the first call.
   * Entries the codec cannot read are skipped, listed in `instances.skipped` and logged once.
   */
  async watchInstances(prefix: string, fn: InstanceHandler, options: { codec?: InstanceCodecChoice } = {}): Promise<WatchSubscription> {
    return watchInstances(await this.ready(), prefix, fn, { codec: options.codec, logger: this.options.registry.logger ?? this.logger });
  }

  /** One read of the instances under `prefix` (see watchInstances). */
  async getInstances(prefix: string, options: { codec?: InstanceCodecChoice } = {}): Promise<InstanceMap> {
    return getInstances(await this.ready(), prefix, { codec: options.codec, logger: this.options.registry.logger ?? this.logger });
  }

  /** Stops every handler on `prefix`. */
  async removeWatch(prefix: string): Promise<void> {
    return (await this.ready()).removeWatch(prefix);
  }

  /** One read of the map under `prefix`. */
  async getServices(prefix: string): Promise<ServiceMap> {
    return (await this.ready()).getServices(prefix);
  }

  /** A synchronous snapshot of the lease, the registrations and the watches. */
  status(): RegistryStatus {
    return this.registry.status();
  }

  /** The core registry; rejects once this service is shut down. */
  private async ready(): Promise<Registry> {
    if (this.closing) throw new RegistryClosedError(nestMessages.closed());
    return this.registry;
  }

  /**
   * Closes the watches, the lease (deleting its keys) and the etcd client. Idempotent; app.close()
   * calls it, and so does a start that fails.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        const left = this.shutdownDeadline === undefined ? undefined : this.shutdownDeadline - monotonicNow();
        // Past the budget, the client is closed below, which ends a revoke still waiting for etcd.
        await (left === undefined ? this.registry.close() : withTimeout(this.registry.close(), Math.max(0, left)));
      } catch (e) {
        this.logger.warn(nestMessages.closeFailed(reason(e)));
      }
      await this.closeClient();
      this.closed$.next();
      this.closed$.complete();
    })();
    return this.closing;
  }

  private async closeClient(): Promise<void> {
    try {
      this.client?.close();
    } catch {
      /* already closed */
    }
  }

  private requireService(): ResolvedEtcdRegistryService {
    if (!this.options.service) throw new RegistryOptionsError('service', nestMessages.noService());
    return this.options.service;
  }
}
