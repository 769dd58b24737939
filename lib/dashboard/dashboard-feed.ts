import { Inject, Injectable, Logger, MessageEvent, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { Observable, Subscriber } from 'rxjs';
import type { InstanceChanges, InstanceMap, WatchSubscription } from '../core';
import { ETCD_REGISTRY_LOGGER_CONTEXT } from '../options/etcd-registry.constants';
import { RegistryService } from '../service/registry.service';
import { DASHBOARD_OPTIONS } from './dashboard.constants';
import type { ResolvedDashboardOptions } from './dashboard-options';
import { DashboardChanges, DashboardRows, DashboardSnapshot } from './dashboard-snapshot';
import { dashboardMessages } from './messages';

const RETRY_MS = 2000;
const STATUS_POLL_MS = 1000;
/** Changes are sent at most this often (coalesced in between): two updates a second per page, whatever the churn (each costs the pages' browser CPU the host application shares). */
export const DASHBOARD_FLUSH_MS = 500;

type Skipped = DashboardSnapshot['skipped'];

/**
 * The instances under the prefix, as server-sent events: the whole list once when a page
 * connects, then only what changed (the watch's change sets, coalesced to one event per
 * DASHBOARD_FLUSH_MS), and the watch's state when it goes stale or live again. Each event is
 * serialised once for every page. The watch starts with the first page opened (nothing runs while
 * nobody looks) and lasts until the application closes, so ages stay meaningful; it is the
 * registry's own watch (RegistryService.watchInstances), shared with the application's handlers.
 */
@Injectable()
export class DashboardFeed implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(ETCD_REGISTRY_LOGGER_CONTEXT);
  private registry?: RegistryService;
  private readonly subscribers = new Set<Subscriber<MessageEvent>>();
  private readonly rows = new DashboardRows();
  private skipped: Skipped = [];
  private skippedChanged = false;
  private error?: string;
  private sentLive?: boolean;
  /** The snapshot as sent, until the rows change. */
  private snapshotText?: string;
  private watch?: WatchSubscription;
  private haveMap = false;
  private starting = false;
  private closed = false;
  private retryTimer?: NodeJS.Timeout;
  private statusTimer?: NodeJS.Timeout;
  private flushTimer?: NodeJS.Timeout;

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

  /** One page's stream; the current snapshot is sent at once (when there is one). */
  events(): Observable<MessageEvent> {
    return new Observable<MessageEvent>((subscriber) => {
      // A page reconnecting while the application closes: end at once, or the HTTP server's close would wait for it.
      if (this.closed) return subscriber.complete();
      this.subscribers.add(subscriber);
      if (this.haveMap || this.error) subscriber.next({ data: this.snapshot() });
      this.start();
      return () => this.subscribers.delete(subscriber);
    });
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.flushTimer);
    clearInterval(this.statusTimer);
    for (const s of this.subscribers) s.complete();
    this.subscribers.clear();
    await this.watch?.remove().catch(() => undefined);
  }

  private status(): { live: boolean; revision?: string } {
    const w = this.registry!.status().watches.find((x) => x.prefix === this.options.prefix);
    return { live: this.watch ? (w?.live ?? false) : !this.error, revision: w?.revision };
  }

  private snapshot(): string {
    if (this.snapshotText === undefined) {
      const { live, revision } = this.status();
      const snapshot: DashboardSnapshot = {
        type: 'snapshot',
        prefix: this.options.prefix,
        codec: this.options.codec.name,
        revision,
        live,
        error: this.error,
        now: Date.now(),
        instances: this.rows.all(),
        skipped: this.skipped,
      };
      this.snapshotText = JSON.stringify(snapshot);
      // The `now` inside ages with the cache: a page corrects its clock from each later event.
      setTimeout(() => (this.snapshotText = undefined), STATUS_POLL_MS).unref();
    }
    return this.snapshotText;
  }

  /** Sends one event with what changed (to every page, serialised once), if anything did. */
  private flush = (): void => {
    this.flushTimer = undefined;
    const { upsert, remove } = this.rows.take();
    const { live, revision } = this.status();
    if (upsert.length === 0 && remove.length === 0 && !this.skippedChanged && live === this.sentLive) return;
    const changes: DashboardChanges = {
      type: 'changes',
      revision,
      live,
      error: this.error,
      now: Date.now(),
      upsert,
      remove,
      ...(this.skippedChanged ? { skipped: this.skipped } : {}),
    };
    this.skippedChanged = false;
    this.sentLive = live;
    const data = JSON.stringify(changes);
    for (const s of this.subscribers) s.next({ data });
  };

  private scheduleFlush(): void {
    this.snapshotText = undefined;
    this.flushTimer ??= setTimeout(this.flush, DASHBOARD_FLUSH_MS);
  }

  private onMap = (map: InstanceMap, changes?: InstanceChanges): void => {
    // The first map is the whole list (its change set says every key was added); a later one, only what changed.
    this.rows.apply(map, this.haveMap ? changes : undefined, Date.now());
    this.haveMap = true;
    this.error = undefined;
    const skipped = map.skipped.map(({ key, reason }) => ({ key, reason }));
    if (JSON.stringify(skipped) !== JSON.stringify(this.skipped)) {
      this.skipped = skipped;
      this.skippedChanged = true;
    }
    this.scheduleFlush();
  };

  private start(): void {
    if (this.watch || this.starting || this.closed) return;
    this.starting = true;
    this.registry!.watchInstances(this.options.prefix, this.onMap, { codec: this.options.codec })
      .then((watch) => {
        this.watch = watch;
        if (this.closed) return void watch.remove().catch(() => undefined);
        this.sentLive = this.status().live;
        // Pages that connected while the watch was starting get the list now.
        const data = this.snapshot();
        for (const s of this.subscribers) s.next({ data });
        this.rows.take();
        this.statusTimer = setInterval(() => this.scheduleFlush(), STATUS_POLL_MS);
        this.statusTimer.unref();
      })
      .catch((e: unknown) => {
        const reason = e instanceof Error ? e.message : String(e);
        this.logger.warn(dashboardMessages.watchFailed(this.options.prefix, reason));
        this.error = reason;
        this.snapshotText = undefined;
        const data = this.snapshot();
        for (const s of this.subscribers) s.next({ data });
        if (!this.closed) {
          this.retryTimer = setTimeout(() => this.subscribers.size > 0 && this.start(), RETRY_MS);
          this.retryTimer.unref();
        }
      })
      .finally(() => {
        this.starting = false;
      });
  }
}
