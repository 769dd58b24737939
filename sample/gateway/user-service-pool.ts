import { Injectable, Logger } from '@nestjs/common';
import { InstanceMap, ServiceInstance, WatchServices } from '../../lib';

export const USER_SERVICE = 'user-service';

/** The live user-service instances, from etcd, and a round robin over them. */
@Injectable()
export class UserServicePool {
  private readonly logger = new Logger('UserServicePool');
  private fleet?: InstanceMap;
  private next = 0;
  /** Instances that did not answer since the last map (by key): tried last until the map changes. */
  private readonly suspects = new Set<string>();

  /**
   * Called with every instance under /services/ before the app starts, then on every change.
   * The json codec reads our JSON values and the Go etcdService's plain host:port alike.
   */
  @WatchServices('/services/', { as: 'instances', codec: 'json' })
  onFleet(fleet: InstanceMap): void {
    this.fleet = fleet;
    this.suspects.clear();
    const lines = fleet.all().map((i) => `${i.name}/${i.id} -> ${i.address}`);
    this.logger.log(`live fleet (${lines.length}): ${lines.length ? lines.join(', ') : 'empty'}`);
    for (const { key, reason } of fleet.skipped) this.logger.warn(`not an instance: ${key} (${reason})`);
  }

  /** Everything under /services/ as last delivered: key -> address. */
  get map(): Record<string, string> {
    return Object.fromEntries((this.fleet?.all() ?? []).map((i) => [i.key, i.address]));
  }

  /** The user-service instances that are up, in key order. */
  instances(): readonly ServiceInstance[] {
    return (this.fleet?.get(USER_SERVICE) ?? []).filter((i) => i.status === 'up');
  }

  /**
   * Instances in round-robin order starting with the next one: the first to try, then the
   * fallbacks. Suspects (a crashed instance stays in the map until its lease expires) come last.
   */
  roundRobin(): ServiceInstance[] {
    const list = this.instances();
    if (list.length === 0) return [];
    const start = this.next++ % list.length;
    const ordered = [...list.slice(start), ...list.slice(0, start)];
    return [...ordered.filter((i) => !this.suspects.has(i.key)), ...ordered.filter((i) => this.suspects.has(i.key))];
  }

  /** Marks an instance that did not answer; returns false if it was already marked. */
  suspect(instance: ServiceInstance): boolean {
    if (this.suspects.has(instance.key)) return false;
    this.suspects.add(instance.key);
    return true;
  }
}
