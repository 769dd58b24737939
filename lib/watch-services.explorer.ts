import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper';
import { InstanceMap, RegistryArgumentError, ServiceMap } from './core';
import { ETCD_REGISTRY_LOGGER_CONTEXT } from './etcd-registry.constants';
import { nestMessages } from './errors/messages';
import { RegistryMetadataAccessor } from './registry-metadata.accessor';
import { RegistryService } from './registry.service';

/**
 * Handlers already subscribed, per instance and method: instances belong to one application,
 * so this is per application. Importing the module twice (two explorers) never subscribes twice.
 */
const subscribed = new WeakMap<object, Set<string>>();

function claim(instance: object, methodKey: string, prefix: string): boolean {
  let keys = subscribed.get(instance);
  if (!keys) subscribed.set(instance, (keys = new Set()));
  const id = `${methodKey}\u0000${prefix}`;
  if (keys.has(id)) return false;
  keys.add(id);
  return true;
}

/** Finds @WatchServices methods on providers and controllers and subscribes them to the registry. */
@Injectable()
export class WatchServicesExplorer implements OnModuleInit {
  private readonly logger = new Logger(ETCD_REGISTRY_LOGGER_CONTEXT);

  constructor(
    private readonly discoveryService: DiscoveryService,
    private readonly metadataScanner: MetadataScanner,
    private readonly metadataAccessor: RegistryMetadataAccessor,
    private readonly registry: RegistryService,
  ) {}

  /** Subscribes every handler; resolves once each has had its first map (so before app.init() resolves). */
  async onModuleInit(): Promise<void> {
    await Promise.all(this.explore());
  }

  private explore(): Promise<unknown>[] {
    const wrappers: InstanceWrapper[] = [...this.discoveryService.getProviders(), ...this.discoveryService.getControllers()];
    const subscriptions: Promise<unknown>[] = [];
    for (const wrapper of wrappers) {
      const { instance } = wrapper;
      if (!instance || wrapper.isAlias || typeof instance !== 'object') continue;
      const proto = Object.getPrototypeOf(instance);
      if (!proto) continue;
      for (const methodKey of this.metadataScanner.getAllMethodNames(proto)) {
        const prefixes = this.metadataAccessor.getWatchedPrefixes(instance[methodKey]);
        if (prefixes.length === 0) continue;
        const where = `${instance.constructor?.name ?? String(wrapper.name)}#${methodKey}`;
        if (!wrapper.isDependencyTreeStatic()) {
          this.logger.warn(nestMessages.requestScoped(where));
          continue;
        }
        for (const prefix of prefixes) {
          if (claim(instance, methodKey, prefix)) subscriptions.push(this.subscribe(instance, methodKey, prefix, where));
        }
      }
    }
    return subscriptions;
  }

  private async subscribe(instance: Record<string, unknown>, methodKey: string, prefix: string, where: string): Promise<void> {
    const instances = this.metadataAccessor.getInstanceWatch(instance[methodKey], prefix);
    const handler = async (services: ServiceMap | InstanceMap): Promise<void> => {
      try {
        await (instance[methodKey] as (s: ServiceMap | InstanceMap) => unknown).call(instance, services);
      } catch (e) {
        const stack = e instanceof Error ? e.stack : String(e);
        this.logger.error(nestMessages.handlerFailed(where, prefix), stack);
      }
    };
    try {
      await (instances ? this.registry.watchInstances(prefix, handler, instances) : this.registry.addWatch(prefix, handler));
    } catch (e) {
      if (e instanceof RegistryArgumentError) {
        throw new RegistryArgumentError(e.argument, nestMessages.watchFailed(where, prefix, e.message));
      }
      throw e;
    }
  }
}
