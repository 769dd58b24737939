import {
  Inject,
  Injectable,
  Optional,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  OnModuleDestroy,
  OnModuleInit,
} from '@nestjs/common';
import type { Etcd3 } from 'etcd3';
import {
  Registry,
  RegistryClosedError,
  RegistryOptionsError,
  RegistryStatus,
  ServiceMap,
  WatchHandler,
  WatchSubscription,
} from './core';
import { monotonicNow, withTimeout } from './core/deadline';
import {
  DEFAULT_SERVICE_PREFIX,
  ETCD_CLIENT,
  ETCD_REGISTRY,
  ETCD_REGISTRY_LOGGER_CONTEXT,
  ETCD_REGISTRY_RESOLVED_OPTIONS,
} from './etcd-registry.constants';
import type { ResolvedEtcdRegistryModuleOptions } from './etcd-registry.options';
import { nestMessages } from './errors/messages';
import type { ResolvedEtcdRegistryService } from './interfaces';

/** A prefix that holds nothing: the start-up probe reads it. */
const PROBE_SUFFIX = '.etcd-registry-probe/';

const reason = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * The registry of this application: registers the configured service, offers the core's
 * operations, and closes the lease, the watches and the etcd client on shutdown.
 */
@Injectable()
export class RegistryService implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  private readonly logger = new Logger(ETCD_REGISTRY_LOGGER_CONTEXT);
  private registered = false;
  private closing?: Promise<void>;
  /** One budget for the whole shutdown (unregister, then close), set when it starts. */
  private shutdownDeadline?: number;

  constructor(
    @Inject(ETCD_REGISTRY_RESOLVED_OPTIONS) private readonly options: ResolvedEtcdRegistryModuleOptions,
    @Inject(ETCD_REGISTRY) private readonly registry: Registry,
    /** Absent when the testing kit replaces the registry. */
    @Optional() @Inject(ETCD_CLIENT) private readonly client?: Etcd3,
  ) {}

  /** The configured instance's key, `${prefix}${name}/${id}`; undefined when no service is configured. */
  get serviceKey(): string | undefined {
    return this.options.service?.key;
  }

  /** The configured instance with its defaults applied (id, prefix, value); undefined when none. */
  get service(): ResolvedEtcdRegistryService | undefined {
    return this.options.service ? { ...this.options.service } : undefined;
  }

  /**
   * Fails fast: one read (under the service's own key when one is configured, so a role limited to
   * its prefix is enough) rejects within timeoutMs with an error naming the endpoints when etcd
   * does not answer, and app.init() with it.
   */
  async onModuleInit(): Promise<void> {
    const probe = this.options.service ? `${this.options.service.key}/` : `${DEFAULT_SERVICE_PREFIX}${PROBE_SUFFIX}`;
    try {
      await this.getServices(probe);
    } catch (e) {
      await this.close();
      throw e;
    }
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.options.autoRegister && this.options.service) await this.registerService();
  }

  async onModuleDestroy(): Promise<void> {
    this.startShutdownClock();
    if (!this.registered || !this.options.service) return;
    try {
      await this.unregisterService();
    } catch (e) {
      this.logger.warn(nestMessages.unregisterFailed(this.options.service.key, reason(e)));
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.startShutdownClock();
    await this.close();
  }

  /**
   * Shutdown (unregister in onModuleDestroy, then close in onApplicationShutdown) shares one
   * timeoutMs budget, so app.close() ends within about timeoutMs even while etcd does not answer:
   * keys not deleted in time expire with the lease.
   */
  private startShutdownClock(): void {
    this.shutdownDeadline ??= monotonicNow() + this.options.registry.timeoutMs;
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

  /** Closes the watches, the lease and the etcd client. Idempotent. */
  private close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        const left = this.shutdownDeadline === undefined ? undefined : this.shutdownDeadline - monotonicNow();
        // Past the budget, the client is closed below, which ends a revoke still waiting for etcd.
        await (left === undefined ? this.registry.close() : withTimeout(this.registry.close(), Math.max(0, left)));
      } catch (e) {
        this.logger.warn(nestMessages.closeFailed(reason(e)));
      }
      await this.closeClient();
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
