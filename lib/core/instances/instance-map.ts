import type { InstanceMap, ServiceInstance, SkippedEntry } from './service-instance';

const readOnly = (): never => {
  throw new TypeError('An InstanceMap is read-only: copy it (new Map(instances)) to change it.');
};

/** The InstanceMap handed to handlers: a Map that refuses changes once built. */
export class FrozenInstanceMap extends Map<string, readonly ServiceInstance[]> implements InstanceMap {
  private sealed?: boolean;
  private allList?: readonly ServiceInstance[];

  constructor(
    entries: Iterable<readonly [string, readonly ServiceInstance[]]>,
    readonly skipped: readonly SkippedEntry[],
  ) {
    super(entries);
    this.sealed = true;
  }

  all(): readonly ServiceInstance[] {
    this.allList ??= Object.freeze([...this.values()].flat());
    return this.allList;
  }

  override set(key: string, value: readonly ServiceInstance[]): this {
    return this.sealed ? readOnly() : super.set(key, value);
  }

  override delete(): boolean {
    return readOnly();
  }

  override clear(): void {
    readOnly();
  }
}
