import { MAX_BATCH_BYTES, MAX_BATCH_KEYS, batchCost } from './write-batches';

export interface RegisterOp {
  kind: 'register';
  path: string;
  value: string;
  /** The path was registered already when this call came (its key is expected present: WriteItem). */
  expectPresent?: boolean;
  resolve(): void;
  reject(error: unknown): void;
}

export interface UnregisterOp {
  kind: 'unregister';
  path: string;
  resolve(): void;
  reject(error: unknown): void;
}

export interface RestoreOp {
  kind: 'restore';
}

/** The lease outlived the last key for leaseLingerMs: revoke it unless a key came meanwhile. */
export interface LingerEndOp {
  kind: 'linger-end';
}

export type KeeperOp = RegisterOp | UnregisterOp | RestoreOp | LingerEndOp;

/** A caller's operation (it has a promise to settle), as opposed to the keeper's own work. */
export const isCallerOp = (op: KeeperOp): op is RegisterOp | UnregisterOp => op.kind === 'register' || op.kind === 'unregister';

/**
 * Takes the next unit of work off the front of `queue` (in place): a run of consecutive
 * registrations of distinct paths that fits one transaction, or else the single next operation.
 * Order is kept: a second registration of a path, or an unregistration, ends the run.
 */
export function takeNext(queue: KeeperOp[], maxKeys = MAX_BATCH_KEYS, maxBytes = MAX_BATCH_BYTES): KeeperOp[] {
  const first = queue[0];
  if (!first) return [];
  if (first.kind !== 'register' || queue.length === 1) return queue.splice(0, 1);
  const paths = new Set<string>();
  let bytes = 0;
  let n = 0;
  for (const op of queue) {
    if (op.kind !== 'register' || paths.has(op.path)) break;
    const cost = batchCost(op.path, op.value);
    if (n > 0 && (n >= maxKeys || bytes + cost > maxBytes)) break;
    paths.add(op.path);
    bytes += cost;
    n++;
  }
  return queue.splice(0, n);
}
