import type { Registry, ServiceMap } from '../../lib/core';

/** One call of a watch handler: the map it got (as handed over: frozen, never copied), when, and for which prefix. */
export interface RecordedCall {
  map: ServiceMap;
  at: number;
  /** The prefix the call was recorded under, when the handler watches several (see `record`). */
  prefix?: string;
}

/** Every map a watch handler received, in order, with the time it arrived. */
export class WatchRecorder {
  readonly calls: RecordedCall[] = [];

  /** A handler to pass to addWatch. */
  readonly handler = (map: ServiceMap): void => {
    this.record(map);
  };

  /** Records one call; `prefix` tags it for a handler that watches several prefixes. */
  record(map: ServiceMap, prefix?: string): void {
    this.calls.push({ map, at: Date.now(), prefix });
  }

  /** The maps received, in order. */
  get maps(): ServiceMap[] {
    return this.calls.map((c) => c.map);
  }

  get last(): ServiceMap | undefined {
    return this.calls[this.calls.length - 1]?.map;
  }

  /** Calls recorded (under `prefix` when given). */
  count(prefix?: string): number {
    return this.calls.filter((c) => prefix === undefined || c.prefix === prefix).length;
  }

  /** The last map recorded under `prefix`. */
  latest(prefix: string): ServiceMap | undefined {
    return [...this.calls].reverse().find((c) => c.prefix === prefix)?.map;
  }

  /** Maps received since `since` (ms epoch) where `key` was absent. */
  missingSince(key: string, since: number): number {
    return this.calls.filter((c) => c.at >= since && !(key in c.map)).length;
  }

  /** First time at/after `since` the map held `key` (= `value` if given). */
  firstWith(key: string, since: number, value?: string): number | undefined {
    return this.calls.find((c) => c.at >= since && key in c.map && (value === undefined || c.map[key] === value))?.at;
  }

  /** First call at/after `since` whose map lacks `key`. */
  firstWithout(key: string, since: number): RecordedCall | undefined {
    return this.calls.find((c) => c.at >= since && !(key in c.map));
  }
}

/** Subscribes a new recorder to `prefix` on `registry` (resolves after its first map). */
export async function recordWatch(registry: Pick<Registry, 'addWatch'>, prefix: string): Promise<WatchRecorder> {
  const rec = new WatchRecorder();
  await registry.addWatch(prefix, rec.handler);
  return rec;
}
