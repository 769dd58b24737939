import { Injectable, Logger } from '@nestjs/common';
import { ServiceMap, WatchServices } from '../../lib';

export const USER_SERVICE_PREFIX = '/services/user-service/';

/** The live user-service instances, from etcd, and a round robin over them. */
@Injectable()
export class UserServicePool {
  private readonly logger = new Logger('UserServicePool');
  private services: ServiceMap = {};
  private next = 0;
  /** Instances that did not answer since the last map: tried last until the map changes. */
  private readonly suspects = new Set<string>();

  /** Called with the whole map before the app starts, then on every change. */
  @WatchServices('/services/')
  onServices(services: ServiceMap): void {
    this.services = services;
    this.suspects.clear();
    const lines = Object.entries(services).map(([key, address]) => `${key} -> ${address}`);
    this.logger.log(`live map (${lines.length}): ${lines.length ? lines.join(', ') : 'empty'}`);
  }

  /** Everything under /services/, as last delivered. */
  get map(): ServiceMap {
    return this.services;
  }

  /** The user-service instances in a stable order: [key, address]. */
  instances(): [string, string][] {
    return Object.entries(this.services)
      .filter(([key]) => key.startsWith(USER_SERVICE_PREFIX))
      .sort(([a], [b]) => a.localeCompare(b));
  }

  /**
   * Instances in round-robin order starting with the next one: the first to try, then the
   * fallbacks. Suspects (a crashed instance stays in the map until its lease expires) come last.
   */
  roundRobin(): [string, string][] {
    const list = this.instances();
    if (list.length === 0) return [];
    const start = this.next++ % list.length;
    const ordered = [...list.slice(start), ...list.slice(0, start)];
    return [...ordered.filter(([k]) => !this.suspects.has(k)), ...ordered.filter(([k]) => this.suspects.has(k))];
  }

  /** Marks an instance that did not answer; returns false if it was already marked. */
  suspect(key: string): boolean {
    if (this.suspects.has(key)) return false;
    this.suspects.add(key);
    return true;
  }
}
