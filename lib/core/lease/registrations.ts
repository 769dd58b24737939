import type { RegistrationStatus } from '../status.interface';

/** One path registered through the registry. */
export interface Registration {
  value: string;
  /** The revision at which the registry last wrote or read the key as ours (or saw its holder, in conflict). */
  confirmedAt?: bigint;
  /** The lease the key was last confirmed under. */
  lease?: string;
  /** Deleted from outside (or expired) since it was confirmed: being written again. */
  missing: boolean;
  /** The lease of another holder, while someone else holds the key. */
  conflictWith?: string;
}

/** The registry's registered paths, and the paths whose deletion failed (tombstones: deleted by the next restore pass). */
export class Registrations {
  readonly entries = new Map<string, Registration>();
  readonly tombstones = new Set<string>();

  get empty(): boolean {
    return this.entries.size === 0 && this.tombstones.size === 0;
  }

  /** Records `path` as confirmed ours at `revision` under `lease`; returns the previous conflict holder, if any. */
  confirm(path: string, value: string, revision: string, lease: string): string | undefined {
    const entry = this.entries.get(path) ?? { value, missing: false };
    const wasConflict = entry.conflictWith;
    entry.value = value;
    entry.confirmedAt = BigInt(revision);
    entry.lease = lease;
    entry.missing = false;
    entry.conflictWith = undefined;
    this.entries.set(path, entry);
    this.tombstones.delete(path);
    return wasConflict;
  }

  /** Forgets `path`; when it was registered, a tombstone makes the next restore pass delete its key if still ours. */
  forget(path: string): void {
    if (this.entries.delete(path)) this.tombstones.add(path);
  }

  status(currentLease: string | undefined): RegistrationStatus[] {
    return [...this.entries].map(([path, e]): RegistrationStatus => {
      if (e.conflictWith !== undefined) return { path, state: 'conflict', conflictWith: e.conflictWith };
      return { path, state: !e.missing && e.lease !== undefined && e.lease === currentLease ? 'registered' : 'restoring' };
    });
  }
}
