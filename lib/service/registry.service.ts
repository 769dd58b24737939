import { Inject, Injectable, Optional, Logger } from '@nestjs/common';
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
  WatchOptions,
  WatchSubscription,
  getInstances,
  watchInstances,
} from '../core';
import {
  ETCD_CLIENT,
  ETCD_REGISTRY,
  ETCD_REGISTRY_LOGGER_CONTEXT,
  ETCD_REGISTRY_RESOLVED_OPTIONS,
} from '../options/etcd-registry.constants';
import type { ResolvedEtcdRegistryModuleOptions } from '../options/etcd-registry.options';
import { nestMessages } from '../options/messages';
import type { ResolvedEtcdRegistryService } from '../options/interfaces';
import { RegistryServiceState } from './registry-service.state';

const reason = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * The registry of this application: offers the core's operations and the configured service's
 * registration, and closes the lease, the watches and the etcd client. When the start-up check,
 * the first maps and the registration happen, and the drain and close on shutdown: lib/lifecycle.
 */
@Injectable()
export class RegistryService {
  private readonly logger = new Logger(ETCD_REGISTRY_LOGGER_CONTEXT);
  private closing?: Promise<void>;
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
    private readonly state: RegistryServiceState,
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
    const registry = this.openRegistry();
    if (registry.ping) await registry.ping(timeoutMs);
  }

  /** True from the start of a graceful drain (shutdown with drainMs): a readiness check is then down. */
  get draining(): boolean {
    return this.state.draining;
  }

  /** The configured instance's key, `${prefix}${name}/${id}`; undefined when no service is configured. */
  get serviceKey(): string | undefined {
    return this.options.service?.key;
  }

  /** The configured instance with its defaults applied (id, prefix, value); undefined when none. */
  get service(): ResolvedEtcdRegistryService | undefined {
    return this.options.service ? { ...this.options.service } : undefined;
  }

  /** Registers the configured service (`service` option) under this registry's lease. */
  async registerService(): Promise<void> {
    const service = this.requireService();
    await this.register(service.key, service.value);
    this.state.registered = true;
  }

  /** Deletes the configured service's key (its lease is revoked when no key is left). */
  async unregisterService(): Promise<void> {
    const service = this.requireService();
    await this.unregister(service.key);
    this.state.registered = false;
  }

  /** Writes `path` = `value` under the registry's lease; resolves once etcd holds it. */
  async register(path: string, value: string): Promise<void> {
    return this.openRegistry().register(path, value);
  }

  /** Deletes `path` if this registry holds it. */
  async unregister(path: string): Promise<void> {
    return this.openRegistry().unregister(path);
  }

  /**
   * Calls `fn` with the map under `prefix`, then after each change; resolves after the first call.
   * `options`: how logs and events name the handler, and whether a failed call is retried.
   */
  async addWatch(prefix: string, fn: WatchHandler, options?: WatchOptions): Promise<WatchSubscription> {
    return this.openRegistry().addWatch(prefix, fn, options);
  }

  /**
   * Calls `fn` with the instances under `prefix` by service name, read by `codec` (default
   * `etcd-service`: plain host:port), then after each change; resolves after the first call.
   * Entries the codec cannot read are skipped, listed in `instances.skipped` and logged once.
   */
  async watchInstances(
    prefix: string,
    fn: InstanceHandler,
    options: { codec?: InstanceCodecChoice } & WatchOptions = {},
  ): Promise<WatchSubscription> {
    const { codec, name, retry } = options;
    return watchInstances(this.openRegistry(), prefix, fn, { codec, name, retry, logger: this.options.registry.logger ?? this.logger });
  }

  /** One read of the instances under `prefix` (see watchInstances). */
  async getInstances(prefix: string, options: { codec?: InstanceCodecChoice } = {}): Promise<InstanceMap> {
    return getInstances(this.openRegistry(), prefix, { codec: options.codec, logger: this.options.registry.logger ?? this.logger });
  }

  /** Stops every handler on `prefix`. */
  async removeWatch(prefix: string): Promise<void> {
    return this.openRegistry().removeWatch(prefix);
  }

  /** One read of the map under `prefix`. */
  async getServices(prefix: string): Promise<ServiceMap> {
    return this.openRegistry().getServices(prefix);
  }

  /** A synchronous snapshot of the lease, the registrations and the watches. */
  status(): RegistryStatus {
    return this.registry.status();
  }

  /** The core registry while this service is open; throws RegistryClosedError once it is closed (it never waits). */
  private openRegistry(): Registry {
    if (this.closing) throw new RegistryClosedError(nestMessages.closed());
    return this.registry;
  }

  /**
   * Closes the watches, the lease (deleting its keys) and the etcd client. Idempotent; app.close()
   * calls it (within the shutdown's budget), and so does a start that fails.
   */
  close(): Promise<void> {
    this.state.closed = true;
    this.closing ??= (async () => {
      try {
        // Past the budget, the client is closed below, which ends a revoke still waiting for etcd.
        await this.state.withinShutdownBudget(this.registry.close());
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
