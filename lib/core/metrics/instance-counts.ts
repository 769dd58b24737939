import type { InstanceCodecChoice } from '../instances/instance-codec.interface';
import { watchInstances } from '../instances/watch-instances';
import type { Registry, WatchSubscription } from '../registry.interface';

/** A prefix whose instances are counted per service, read with `codec` (default etcd-service). */
export interface CountedPrefix {
  prefix: string;
  codec?: InstanceCodecChoice | undefined;
}

export interface InstanceCount {
  prefix: string;
  service: string;
  /** Instances up (status `up`). */
  up: number;
  /** Instances draining. */
  draining: number;
}

/**
 * Instances per service under each prefix, kept current by one watch per prefix (sharing the
 * registry's etcd watch of that prefix). For the metrics wings; framework-free.
 */
export class InstanceCounts {
  private readonly latest = new Map<string, InstanceCount[]>();
  private readonly subscriptions: WatchSubscription[] = [];

  private constructor() {}

  /** Starts the watches; resolves once each prefix has its first count. */
  static async start(registry: Registry, prefixes: readonly CountedPrefix[]): Promise<InstanceCounts> {
    const counts = new InstanceCounts();
    try {
      for (const { prefix, codec } of prefixes) {
        const sub = await watchInstances(
          registry,
          prefix,
          (fleet) => {
            const rows: InstanceCount[] = [];
            for (const [service, list] of fleet) {
              const draining = list.filter((i) => i.status === 'draining').length;
              rows.push({ prefix, service, up: list.length - draining, draining });
            }
            counts.latest.set(prefix, rows);
          },
          { codec },
        );
        counts.subscriptions.push(sub);
      }
    } catch (error) {
      await counts.close();
      throw error;
    }
    return counts;
  }

  /** The latest counts, every prefix. A service that left is no longer listed. */
  all(): InstanceCount[] {
    return [...this.latest.values()].flat();
  }

  async close(): Promise<void> {
    const subs = this.subscriptions.splice(0);
    await Promise.all(subs.map((s) => s.remove().catch(() => undefined)));
  }
}
