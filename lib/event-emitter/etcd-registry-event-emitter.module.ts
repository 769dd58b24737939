import { DynamicModule, Inject, Injectable, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { RegistryEvent, RegistryEventType } from '../core';
import { RegistryService } from '../service/registry.service';
import {
  EtcdRegistryEventEmitterConfigurableModule,
  EtcdRegistryEventEmitterOptions,
  EVENT_EMITTER_OPTIONS,
  EVENT_EMITTER_OPTIONS_TYPE,
} from './etcd-registry-event-emitter.module-definition';

/** The @nestjs/event-emitter name of a registry event: `etcd-registry.lease-lost`, ... */
export const registryEventName = (type: RegistryEventType): string => `etcd-registry.${type}`;

/** Forwards the registry's events (every type, or `types`) to EventEmitter2 as `etcd-registry.<type>` (the event object as payload). */
@Injectable()
export class EtcdRegistryEventBridge implements OnModuleInit, OnApplicationShutdown {
  private off?: () => void;

  constructor(
    private readonly registry: RegistryService,
    private readonly emitter: EventEmitter2,
    @Inject(EVENT_EMITTER_OPTIONS) private readonly options: EtcdRegistryEventEmitterOptions,
  ) {}

  onModuleInit(): void {
    this.off ??= this.registry.events?.on(
      (event: RegistryEvent) => void this.emitter.emit(registryEventName(event.type), event),
      this.options.types,
    );
  }

  /** After every onModuleDestroy: the shutdown's own events (unregistered) are still forwarded. */
  onApplicationShutdown(): void {
    this.off?.();
    this.off = undefined;
  }
}

/**
 * `EtcdRegistryEventEmitterModule.forRoot()` beside `EventEmitterModule.forRoot()` to receive the
 * registry's events with `@OnEvent('etcd-registry.lease-lost')` (any event: `@OnEvent('etcd-registry.*')`
 * with wildcards on); `forRoot({ types: ['lease-lost', 'lease-restored'] })` forwards those only, and
 * `forRootAsync({ imports, inject, useFactory })` takes the options from a factory.
 */
@Module({ providers: [EtcdRegistryEventBridge], exports: [EtcdRegistryEventBridge] })
export class EtcdRegistryEventEmitterModule extends EtcdRegistryEventEmitterConfigurableModule {
  /** Every option has a default: `forRoot()` works. */
  static forRoot(options: typeof EVENT_EMITTER_OPTIONS_TYPE = {}): DynamicModule {
    return super.forRoot(options);
  }
}
