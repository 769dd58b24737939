import { Inject, Injectable, Logger, MessageEvent, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { Observable, Subscriber } from 'rxjs';
import type { InstanceMap, WatchSubscription } from '../core';
import { ETCD_REGISTRY_LOGGER_CONTEXT } from '../etcd-registry.constants';
import { RegistryService } from '../registry.service';
import { DASHBOARD_OPTIONS } from './dashboard.constants';
import type { ResolvedDashboardOptions } from './dashboard-options';
import { DashboardSnapshot, InstanceAges } from './dashboard-snapshot';
import { dashboardMessages } from './messages';

const RETRY_MS = 2000;
const STATUS_POLL_MS = 1000;

/**
 * The instances under the prefix, as server-sent events: the whole snapshot on connect and after
 * each change (and when the watch goes stale or live again). The watch starts with the first
 * page opened (nothing runs while nobody looks) and lasts until the application closes, so
 * ages stay meaningful; it is the registry's own watch (RegistryService.watchInstances), shared
 * with the application's handlers of the same prefix.
 */
@Injectable()
export class DashboardFeed implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(ETCD_REGISTRY_LOGGER_CONTEXT);
  private registry?: RegistryService;
  private readonly subscribers = new Set<Subscriber<MessageEvent>>();
  private readonly ages = new InstanceAges();
  private latest?: DashboardSnapshot;
  private watch?: WatchSubscription;
  private starting = false;
  private closed = false;
  private retryTimer?: NodeJS.Timeout;
  private statusTimer?: NodeJS.Timeout;

  constructor(
    @Inject(DASHBOARD_OPTIONS) private readonly options: ResolvedDashboardOptions,
    private readonly moduleRef: ModuleRef,
  ) {}

  onModuleInit(): void {
    try {
      this.registry = this.moduleRef.get(RegistryService, { strict: false });
    } catch {
      throw new Error(dashboardMessages.noRegistry());
    }
  }

  /** One page's stream; the last snapshot is sent at once. */
  events(): Observable<MessageEvent> {
    return new Observable<MessageEvent>((subscriber) => {
      this.subscribers.add(subscriber);
      if (this.latest) subscriber.next({ data: this.latest });
      this.start();
      return () => this.subscribers.delete(subscriber);
    });
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.statusTimer);
    for (const s of this.subscribers) s.complete();
    this.subscribers.clear();
    await this.watch?.remove().catch(() => undefined);
  }

  private live(): boolean {
    return this.registry!.status().watches.find((w) => w.prefix === this.options.prefix)?.live ?? false;
  }

  private revision(): string | undefined {
    return this.registry!.status().watches.find((w) => w.prefix === this.options.prefix)?.revision;
  }

  private publish(snapshot: DashboardSnapshot): void {
    this.latest = snapshot;
    for (const s of this.subscribers) s.next({ data: snapshot });
  }

  private onMap = (map: InstanceMap): void => {
    const now = Date.now();
    this.publish({
      prefix: this.options.prefix,
      codec: this.options.codec.name,
      revision: this.revision(),
      live: this.watch ? this.live() : true,
      now,
      instances: this.ages.apply(map, now),
      skipped: map.skipped.map(({ key, reason }) => ({ key, reason })),
    });
  };

  private start(): void {
    if (this.watch || this.starting || this.closed) return;
    this.starting = true;
    this.registry!.watchInstances(this.options.prefix, this.onMap, { codec: this.options.codec })
      .then((watch) => {
        this.watch = watch;
        if (this.closed) return void watch.remove().catch(() => undefined);
        this.statusTimer = setInterval(() => this.pollStatus(), STATUS_POLL_MS);
        this.statusTimer.unref();
      })
      .catch((e: unknown) => {
        const reason = e instanceof Error ? e.message : String(e);
        this.logger.warn(dashboardMessages.watchFailed(this.options.prefix, reason));
        this.publish({
          prefix: this.options.prefix,
          codec: this.options.codec.name,
          live: false,
          error: reason,
          now: Date.now(),
          instances: this.latest?.instances ?? [],
          skipped: [],
        });
        if (!this.closed) {
          this.retryTimer = setTimeout(() => this.subscribers.size > 0 && this.start(), RETRY_MS);
          this.retryTimer.unref();
        }
      })
      .finally(() => {
        this.starting = false;
      });
  }

  /** Re-sends the snapshot when the watch goes stale or live again (the page shows it). */
  private pollStatus(): void {
    const live = this.live();
    if (this.latest && this.latest.live !== live) this.publish({ ...this.latest, live, revision: this.revision(), now: Date.now() });
  }
}
