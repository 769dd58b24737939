import { Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { WatchInstancesMetadata } from './watch-services.decorator';
import { WATCH_INSTANCES_METADATA, WATCH_SERVICES_METADATA } from './watch-services.constants';

@Injectable()
export class RegistryMetadataAccessor {
  constructor(private readonly reflector: Reflector) {}

  /** The prefixes given to @WatchServices on `target` (a method), without duplicates; [] when none. */
  getWatchedPrefixes(target: unknown): string[] {
    if (typeof target !== 'function') return [];
    const prefixes = this.reflector.get<string[] | undefined>(WATCH_SERVICES_METADATA, target) ?? [];
    return [...new Set(prefixes)];
  }

  /** The options of `prefix` when @WatchServices asked for instances (`as: 'instances'`); undefined for a plain map. */
  getInstanceWatch(target: unknown, prefix: string): WatchInstancesMetadata | undefined {
    if (typeof target !== 'function') return undefined;
    return this.reflector.get<Record<string, WatchInstancesMetadata> | undefined>(WATCH_INSTANCES_METADATA, target)?.[prefix];
  }
}
