import { createRegistry, Registry, ServiceMap } from '../../lib/core';

/** What a chaos node reports once quiet: the keys it holds registered, and its watcher's last map. */
export interface ChaosReport {
  id: string;
  expected: Record<string, string>;
  last: ServiceMap | undefined;
  ops: number;
  failedAttempts: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One "application" of the chaos run: a registry (through its own link) that registers and
 * unregisters its keys at random, retrying each operation until it succeeds, as an app would,
 * and a watch on the whole chaos prefix. It knows exactly which keys it should hold.
 */
export class ChaosNode {
  private registry?: Registry;
  private running = false;
  private loop?: Promise<void>;
  private readonly live = new Map<string, string>();
  private lastMap?: ServiceMap;
  private ops = 0;
  private failedAttempts = 0;
  /** Times (ms epoch) the watcher received a map, with the map: for staleness checks. */
  readonly received: { at: number; map: ServiceMap }[] = [];

  constructor(
    readonly id: string,
    private readonly endpoints: string[],
    private readonly prefix: string,
    private readonly random: () => number,
    private readonly keysPerNode = 5,
  ) {}

  get last(): ServiceMap | undefined {
    return this.lastMap;
  }

  async start(): Promise<void> {
    this.registry = createRegistry({ endpoints: this.endpoints, ttlSeconds: 3, timeoutMs: 4000 });
    await this.retry(() =>
      this.registry!.addWatch(this.prefix, (map) => {
        this.lastMap = map;
        this.received.push({ at: Date.now(), map });
      }),
    );
    this.running = true;
    this.loop = this.run();
  }

  private async retry<T>(fn: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await fn();
      } catch (e) {
        this.failedAttempts++;
        if (!this.registry) throw e;
        const name = (e as Error).name;
        if (name === 'RegistryClosedError' || name === 'RegistryArgumentError') throw e;
        await sleep(100 + Math.floor(this.random() * 200));
      }
    }
  }

  private async run(): Promise<void> {
    let counter = 0;
    while (this.running) {
      await sleep(150 + Math.floor(this.random() * 450));
      if (!this.running) break;
      const key = `${this.prefix}${this.id}/k${Math.floor(this.random() * this.keysPerNode)}`;
      if (this.live.has(key) && this.random() < 0.6) {
        await this.retry(() => this.registry!.unregister(key));
        this.live.delete(key);
      } else {
        const value = `${this.id}-v${++counter}`;
        await this.retry(() => this.registry!.register(key, value));
        this.live.set(key, value);
      }
      this.ops++;
    }
  }

  /** Stops making changes (the operation in flight completes, with retries) and reports. */
  async quiesce(): Promise<ChaosReport> {
    this.running = false;
    await this.loop;
    return this.report();
  }

  report(): ChaosReport {
    return { id: this.id, expected: Object.fromEntries(this.live), last: this.lastMap, ops: this.ops, failedAttempts: this.failedAttempts };
  }

  async close(): Promise<void> {
    this.running = false;
    await this.registry?.close();
  }
}
