import { attachRevisions } from '../map-revisions';
import { ServiceMap } from '../registry.interface';

/**
 * The live map of one prefix and its version. The version moves only when the map really
 * changes (a put of the same value, or a delete of an absent key, is not a change), so
 * handlers are never called for nothing. The frozen snapshot of a version is built once,
 * on demand, and shared by every handler that is handed that version.
 */
export class ServiceMapState {
  private readonly entries = new Map<string, string>();
  /** etcd's mod_revision of each key's current value, when given. */
  private readonly revisions = new Map<string, string>();
  private versionValue = 0;
  private snapshotValue?: { version: number; map: ServiceMap };

  get version(): number {
    return this.versionValue;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Applies a put; returns whether the map changed. */
  put(key: string, value: string, revision?: string): boolean {
    if (this.entries.get(key) === value) return false;
    this.entries.set(key, value);
    if (revision !== undefined) this.revisions.set(key, revision);
    this.versionValue++;
    return true;
  }

  /** Applies a delete; returns whether the map changed. */
  delete(key: string): boolean {
    if (!this.entries.delete(key)) return false;
    this.revisions.delete(key);
    this.versionValue++;
    return true;
  }

  /** Replaces the whole map (after a read of the prefix); returns whether it changed. */
  replace(next: Map<string, string>, revisions?: Map<string, string>): boolean {
    let same = next.size === this.entries.size;
    if (same) {
      for (const [k, v] of next) {
        if (this.entries.get(k) !== v) {
          same = false;
          break;
        }
      }
    }
    if (same) return false;
    this.entries.clear();
    for (const [k, v] of next) this.entries.set(k, v);
    this.revisions.clear();
    if (revisions) for (const [k, r] of revisions) this.revisions.set(k, r);
    this.versionValue++;
    return true;
  }

  /** A frozen copy of the current map, built at most once per version. */
  snapshot(): { version: number; map: ServiceMap } {
    if (this.snapshotValue?.version !== this.versionValue) {
      const map: Record<string, string> = Object.create(null);
      for (const [k, v] of this.entries) map[k] = v;
      const version = this.versionValue;
      this.snapshotValue = { version, map: Object.freeze(map) };
      // Valid while the map is current: handlers read it synchronously when they are called.
      attachRevisions(this.snapshotValue.map, (key) => (this.versionValue === version ? this.revisions.get(key) : undefined));
    }
    return this.snapshotValue;
  }
}
