import { Injectable, Logger } from '@nestjs/common';
import { InstanceMap, WatchServices } from '../../lib';

/** The live fleet under /services/, from etcd: logged on each change and shown at GET /services. */
@Injectable()
export class UserServicePool {
  private readonly logger = new Logger('Fleet');
  private fleet?: InstanceMap;

  /**
   * Called with every instance under /services/ before the app starts, then on every change.
   * The json codec reads our JSON values and the Go etcdService's plain host:port alike.
   */
  @WatchServices('/services/', { as: 'instances', codec: 'json' })
  onFleet(fleet: InstanceMap): void {
    this.fleet = fleet;
    const lines = fleet.all().map((i) => `${i.name}/${i.id} -> ${i.address}`);
    this.logger.log(`live fleet (${lines.length}): ${lines.length ? lines.join(', ') : 'empty'}`);
    for (const { key, reason } of fleet.skipped) this.logger.warn(`not an instance: ${key} (${reason})`);
  }

  /** Everything under /services/ as last delivered: key -> address. */
  get map(): Record<string, string> {
    return Object.fromEntries((this.fleet?.all() ?? []).map((i) => [i.key, i.address]));
  }
}
