import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { DiscoveryService, LazyModuleLoader, MetadataScanner } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper';
import { Registry, RegistryArgumentError, WatchSubscription, watchInstances } from '../core';
import { assertPrefix } from '../core/input-validation';
import { ETCD_REGISTRY, ETCD_REGISTRY_LOGGER_CONTEXT } from '../options/etcd-registry.constants';
import { nestMessages } from '../options/messages';
import { RegistryMetadataAccessor } from './registry-metadata.accessor';

/** One decorated method on one provider instance, for one prefix. */
export interface FoundHandler {
  instance: Record<string, unknown>;
  methodKey: string;
  prefix: string;
  /** `Class#method`, for logs and errors. */
  where: string;
}

type Load = LazyModuleLoader['load'];

/**
 * Finds @WatchServices methods on providers and controllers and subscribes them to the registry.
 * What it has subscribed is recorded per explorer, so per application: a second application in
 * the same process (a test that re-creates the app, a hot reload) subscribes the same instance
 * again, and one application never subscribes a handler twice (aliases, re-scans).
 */
@Injectable()
export class WatchServicesExplorer implements OnApplicationShutdown {
  private readonly logger = new Logger(ETCD_REGISTRY_LOGGER_CONTEXT);
  private readonly subscribed = new WeakMap<object, Set<string>>();
  private readonly warned = new Set<string>();
  private readonly subscriptions: WatchSubscription[] = [];
  private stopped = false;

  constructor(
    private readonly discoveryService: DiscoveryService,
    private readonly metadataScanner: MetadataScanner,
    private readonly metadataAccessor: RegistryMetadataAccessor,
    @Inject(ETCD_REGISTRY) private readonly registry: Registry,
    private readonly lazyModuleLoader: LazyModuleLoader,
  ) {}

  /**
   * The handlers of the application, not yet subscribed. Warns (once per method) about those
   * that cannot be called outside a request or a consumer (request-scoped, transient) and skips
   * them; throws naming Class#method for a prefix without its trailing '/'.
   */
  discover(): FoundHandler[] {
    const wrappers: InstanceWrapper[] = [...this.discoveryService.getProviders(), ...this.discoveryService.getControllers()];
    const found: FoundHandler[] = [];
    const seen = new WeakMap<object, Set<string>>();
    for (const wrapper of wrappers) {
      const { instance } = wrapper;
      if (!instance || wrapper.isAlias || typeof instance !== 'object') continue;
      const proto = Object.getPrototypeOf(instance);
      if (!proto) continue;
      for (const methodKey of this.metadataScanner.getAllMethodNames(proto)) {
        const prefixes = this.metadataAccessor.getWatchedPrefixes(instance[methodKey]);
        if (prefixes.length === 0) continue;
        const where = `${instance.constructor?.name ?? String(wrapper.name)}#${methodKey}`;
        // A transient provider's wrapper holds Nest's unconstructed placeholder, not an instance.
        if (wrapper.isTransient) {
          this.warnOnce(where, nestMessages.transientProvider(where));
          continue;
        }
        if (!wrapper.isDependencyTreeStatic()) {
          this.warnOnce(where, nestMessages.requestScoped(where));
          continue;
        }
        for (const prefix of prefixes) {
          const id = `${methodKey}\u0000${prefix}`;
          let ids = seen.get(instance);
          if (!ids) seen.set(instance, (ids = new Set()));
          if (this.subscribed.get(instance)?.has(id) || ids.has(id)) continue; // an alias, or already subscribed
          ids.add(id);
          this.checkPrefix(prefix, where);
          found.push({ instance, methodKey, prefix, where });
        }
      }
    }
    return found;
  }

  /**
   * Subscribes `handlers`; resolves once each has had its first call. Providers of modules loaded
   * later with LazyModuleLoader are subscribed when their module is loaded (load() resolves after
   * their first call): Nest calls no lifecycle hook in lazy modules, so the load is the moment.
   */
  async subscribe(handlers: FoundHandler[]): Promise<void> {
    this.followLazyModules();
    await Promise.all(handlers.map((h) => this.subscribeOne(h)));
  }

  /** Removes every handler it subscribed (no more calls, retries included). */
  stop(): void {
    this.stopped = true;
    for (const s of this.subscriptions.splice(0)) void s.remove().catch(() => undefined);
  }

  onApplicationShutdown(): void {
    this.stop();
  }

  private async subscribeOne({ instance, methodKey, prefix, where }: FoundHandler): Promise<void> {
    let ids = this.subscribed.get(instance);
    if (!ids) this.subscribed.set(instance, (ids = new Set()));
    const id = `${methodKey}\u0000${prefix}`;
    if (ids.has(id) || this.stopped) return;
    ids.add(id);
    const instances = this.metadataAccessor.getInstanceWatch(instance[methodKey], prefix);
    type Method = (map: unknown, changes: unknown) => void | Promise<void>;
    const call = (map: unknown, changes: unknown) => (instance[methodKey] as Method).call(instance, map, changes);
    // The core's delivery owns failures: each one logged and reported as an `error` event naming
    // Class#method, and the current map handed again after a backoff (changes relative to the last success).
    const delivery = { name: where, retry: true };
    try {
      const subscription = instances
        ? await watchInstances(this.registry, prefix, call, { ...delivery, codec: instances.codec })
        : await this.registry.addWatch(prefix, call, delivery);
      if (this.stopped) void subscription.remove().catch(() => undefined);
      else this.subscriptions.push(subscription);
    } catch (e) {
      ids.delete(id);
      if (e instanceof RegistryArgumentError)
        throw new RegistryArgumentError(e.argument, nestMessages.watchFailed(where, prefix, e.message));
      throw e;
    }
  }

  private checkPrefix(prefix: string, where: string): void {
    try {
      assertPrefix(prefix);
    } catch (e) {
      if (e instanceof RegistryArgumentError)
        throw new RegistryArgumentError(e.argument, nestMessages.watchFailed(where, prefix, e.message));
      throw e;
    }
  }

  private warnOnce(where: string, message: string): void {
    if (this.warned.has(where)) return;
    this.warned.add(where);
    this.logger.warn(message);
  }

  /** Wraps this application's LazyModuleLoader#load once, to subscribe what a lazy module brings. */
  private followLazyModules(): void {
    const loader = this.lazyModuleLoader as unknown as { load: Load } | undefined;
    if (!loader || typeof loader.load !== 'function' || (loader.load as { etcdRegistry?: boolean }).etcdRegistry) return;
    const load = loader.load;
    const followed: Load = async (...args) => {
      const moduleRef = await load.apply(loader, args);
      if (!this.stopped) await this.subscribe(this.discover());
      return moduleRef;
    };
    (followed as { etcdRegistry?: boolean }).etcdRegistry = true;
    loader.load = followed;
  }
}
