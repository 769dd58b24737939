import { Namespace, Watcher } from 'etcd3';

const PATCHED = Symbol('nestjs-etcd-registry:watch-revision');

interface WatchManagerInternals {
  attach(watcher: Watcher): void;
  [PATCHED]?: boolean;
}

interface WatcherInternals {
  request: { start_revision?: string };
}

/** The revision a watcher resumes from after a reconnect: the response's header revision + 1, as etcd3 computes it. */
function updateRevision(this: WatcherInternals, res: { header: { revision: string } }): void {
  this.request.start_revision = (BigInt(res.header.revision) + 1n).toString();
}

/** What of etcd3's shape the patch relies on is missing from `ns` (undefined: nothing). */
export function watchRevisionMissing(ns: Namespace): string | undefined {
  const manager = (ns as unknown as { watchManager?: Partial<WatchManagerInternals> }).watchManager;
  if (!manager || typeof manager.attach !== 'function') return 'WatchManager#attach()';
  const proto = Watcher.prototype as unknown as { updateRevision?: unknown };
  if (typeof proto.updateRevision !== 'function' || !/this\.updateRevision\(/.test(Watcher.toString()))
    return 'Watcher#updateRevision() called by its data and connected listeners';
  return undefined;
}

/**
 * Every watcher of this namespace keeps its resume revision with a BigInt rather than a BigNumber.
 *
 * What etcd3 does (1.1.2, lib/watch.js): each Watcher listens to its own 'data' (and 'connected')
 * event and, before any listener of ours runs, stores `header.revision + 1` as its resume revision
 * (`request.start_revision`) through bignumber.js: about 20 us of each delivered change on a
 * process that was idle (in-process timeline), on every watch (prefix watchers and the ownership
 * guard alike).
 *
 * Why it is patched: the same decimal string comes from a BigInt in well under a microsecond. The
 * watcher's instance gets its own `updateRevision` when it attaches to the namespace's watch
 * manager (in its constructor, before its listeners run); nothing else of etcd3 changes.
 *
 * What it relies on: the namespace's private `watchManager.attach(watcher)`, the Watcher's
 * `updateRevision(res)` called as `this.updateRevision(...)` and its `request.start_revision`.
 * watchRevisionMissing says what is missing; test/integration/etcd3-contract.spec.ts checks the
 * resume revision on a real etcd. Returns false (etcd3's own behaviour kept) for a namespace
 * without them.
 */
export function leanWatchRevision(ns: Namespace): boolean {
  if (watchRevisionMissing(ns) !== undefined) return false;
  const manager = (ns as unknown as { watchManager: WatchManagerInternals }).watchManager;
  if (manager[PATCHED]) return true;
  manager[PATCHED] = true;
  const attach = manager.attach.bind(manager);
  manager.attach = (watcher) => {
    (watcher as unknown as { updateRevision: typeof updateRevision }).updateRevision = updateRevision;
    attach(watcher);
  };
  return true;
}
