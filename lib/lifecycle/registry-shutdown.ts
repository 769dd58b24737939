import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleDestroy } from '@nestjs/common';
import { ETCD_REGISTRY, ETCD_REGISTRY_LOGGER_CONTEXT, ETCD_REGISTRY_RESOLVED_OPTIONS } from '../options/etcd-registry.constants';
import type { ResolvedEtcdRegistryModuleOptions } from '../options/etcd-registry.options';
import type { ResolvedEtcdRegistryService } from '../options/interfaces';
import { nestMessages } from '../options/messages';
import type { Registry } from '../core';
import { monotonicNow, sleep } from '../core/deadline';
import { RegistryServiceState } from '../service/registry-service.state';
import { RegistryService } from '../service/registry.service';

const reason = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * The end of the registry within the application's shutdown, in one budget of drainMs + timeoutMs
 * (app.close() ends within about that even while etcd does not answer: keys not deleted in time
 * expire with the lease):
 * - onModuleDestroy: with drainMs, the drain (the instance out of rotation, still serving for
 *   drainMs), then the configured service's key deleted;
 * - onApplicationShutdown: the registry closed (watches, lease, etcd client).
 */
@Injectable()
export class RegistryShutdown implements OnModuleDestroy, OnApplicationShutdown {
  private readonly logger = new Logger(ETCD_REGISTRY_LOGGER_CONTEXT);

  constructor(
    @Inject(ETCD_REGISTRY_RESOLVED_OPTIONS) private readonly options: ResolvedEtcdRegistryModuleOptions,
    @Inject(ETCD_REGISTRY) private readonly registry: Registry,
    private readonly service: RegistryService,
    private readonly state: RegistryServiceState,
  ) {}

  async onModuleDestroy(): Promise<void> {
    this.startShutdownClock();
    const configured = this.options.service;
    if (!this.state.registered || !configured || this.state.closed) return;
    try {
      if (this.options.drainMs > 0) await this.drain(configured);
      if (this.state.registered) await this.state.withinShutdownBudget(this.service.unregisterService());
    } catch (e) {
      this.logger.warn(nestMessages.unregisterFailed(configured.key, reason(e)));
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.startShutdownClock();
    await this.service.close();
  }

  private startShutdownClock(): void {
    this.state.startShutdownClock(this.options.drainMs + this.options.registry.timeoutMs);
  }

  /**
   * Takes the instance out of rotation, then keeps serving for drainMs (counted from the start).
   * A json value is re-written with status `draining` (watchers that pick `up` instances stop
   * picking it; the key stays until the end); a plain value cannot say draining, so the key is
   * deleted first: every watcher stops picking it at once, and requests already routed finish.
   */
  private async drain(service: ResolvedEtcdRegistryService): Promise<void> {
    const started = monotonicNow();
    this.state.draining = true;
    const how = service.drainingValue ? 'marked draining' : 'deleted first: a plain value cannot carry a status';
    this.logger.log(nestMessages.draining(service.key, this.options.drainMs, how));
    const drainingEvent = (mode: 'marked' | 'deleted') =>
      this.registry.events?.emit({ type: 'draining', path: service.key, mode, drainMs: this.options.drainMs });
    if (service.drainingValue) {
      try {
        await this.state.withinShutdownBudget(this.registry.register(service.key, service.drainingValue));
        drainingEvent('marked');
      } catch (e) {
        this.logger.warn(nestMessages.drainMarkFailed(service.key, reason(e)));
        await this.state.withinShutdownBudget(this.service.unregisterService()).catch(() => undefined);
        drainingEvent('deleted');
      }
    } else {
      await this.state.withinShutdownBudget(this.service.unregisterService());
      drainingEvent('deleted');
    }
    const left = started + this.options.drainMs - monotonicNow();
    if (left > 0) await (this.options.drainWait ?? sleep)(left);
  }
}
