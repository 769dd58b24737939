import { Injectable, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { RegistryEvent, RegistryEventType } from '../core';
import { RegistryService } from '../service/registry.service';

/** The @nestjs/event-emitter name of a registry event: `etcd-registry.lease-lost`, ... */
export const registryEventName = (type: RegistryEventType): string => `etcd-registry.${type}`;

/** Forwards every registry event to EventEmitter2 as `etcd-registry.<type>` (the event object as payload). */
@Injectable()
export class EtcdRegistryEventBridge implements OnModuleInit, OnApplicationShutdown {
  private off?: () => void;

  constructor(
    private readonly registry: RegistryService,
    private readonly emitter: EventEmitter2,
  ) {}

  onModuleInit(): void {
    this.off ??= this.registry.events?.on((event: RegistryEvent) => void this.emitter.emit(registryEventName(event.type), event));
  }

  /** After every onModuleDestroy: the shutdown's own events (unregistered) are still forwarded. */
  onApplicationShutdown(): void {
    this.off?.();
    this.off = undefined;
  }
}

/**
 * Import beside `EventEmitterModule.forRoot()` to receive the registry's events with
 * `@OnEvent('etcd-registry.lease-lost')` (any event: `@OnEvent('etcd-registry.*')` with wildcards on).
 */
@Module({ providers: [EtcdRegistryEventBridge], exports: [EtcdRegistryEventBridge] })
export class EtcdRegistryEventEmitterModule {}
