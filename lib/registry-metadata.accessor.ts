import { Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { WATCH_SERVICES_METADATA } from './etcd-registry.constants';

@Injectable()
export class RegistryMetadataAccessor {
  constructor(private readonly reflector: Reflector) {}

  /** The prefixes given to @WatchServices on `target` (a method), without duplicates; [] when none. */
  getWatchedPrefixes(target: unknown): string[] {
    if (typeof target !== 'function') return [];
    const prefixes = this.reflector.get<string[] | undefined>(WATCH_SERVICES_METADATA, target) ?? [];
    return [...new Set(prefixes)];
  }
}
