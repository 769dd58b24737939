import { Namespace } from 'etcd3';

const REPAIRED = Symbol('nestjs-etcd-registry:watch-queue-repaired');

/** The parts of etcd3 1.1.2's internals this repair touches (checked at run time). */
interface AttachQueueInternals {
  queue: unknown[];
  dequeue(watcher: unknown): void;
  readQueue(): void;
}
interface WatchManagerInternals {
  state: number;
  queue?: AttachQueueInternals;
  handleCreatedResponse(res: { canceled?: boolean; cancel_reason?: string }): void;
  handleError(error: Error): void;
  /** Set once repairWatchQueue has patched this manager. */
  [REPAIRED]?: boolean;
}
interface NamespaceInternals {
  watchManager?: WatchManagerInternals;
  pool?: { authenticator?: { invalidateMetadata(): void } };
}

const CONNECTED = 2;
const AUTH_TOKEN = /invalid auth token|code = Unauthenticated/i;

/**
 * Fixes how etcd3 handles a watch that etcd refuses at creation.
 *
 * What etcd3 does (1.1.2, lib/watch.js): a watch stream creates its watchers one at a time from an
 * attach queue (`AttachQueue#queue`, head first); the created response dequeues the head
 * (`handleCreate`). A "created" response that is also "canceled" goes to `handleCancelResponse`
 * instead: 'error' is emitted on the watcher and it is forgotten, but it stays at the head of the
 * attach queue, so every later watch on that client (prefix watches and the lease keeper's
 * ownership guards alike) waits forever, silently.
 *
 * Why it is patched: after such a refusal the queue moves on to the next watch. When the reason is
 * an invalid auth token (etcd's simple tokens expire after `--auth-token-ttl` of idleness, and are
 * all dropped when etcd restarts; the watch stream keeps the token it was opened with), the cached
 * token is dropped and the stream reopened: etcd3 authenticates again and re-creates every watch.
 *
 * What it relies on: the namespace's private `watchManager` (`handleCreatedResponse`,
 * `handleError`, `state` 2 = connected, `queue` with `queue`, `dequeue`, `readQueue`) and the pool's
 * `authenticator.invalidateMetadata()`. createEtcdClient checks them (watchQueueMissing) and throws
 * an Etcd3InternalsError when they are missing; test/integration/etcd3-contract.spec.ts checks the
 * behaviour on a real etcd (a refused watch, then another watch that must be created).
 *
 * Returns false when a client handed in by the application does not have these internals (another
 * etcd3): its watches keep etcd3's own behaviour, still bounded by the prefix watcher's deadline.
 */
export function repairWatchQueue(ns: Namespace): boolean {
  const internals = ns as unknown as NamespaceInternals;
  const manager = internals.watchManager;
  if (!manager || typeof manager.handleCreatedResponse !== 'function' || typeof manager.handleError !== 'function') return false;
  if (manager[REPAIRED]) return true;
  manager[REPAIRED] = true;
  const original = manager.handleCreatedResponse.bind(manager);
  manager.handleCreatedResponse = (res) => {
    if (!res.canceled) return original(res);
    const queue = manager.queue;
    const head = queue?.queue[0];
    original(res); // emits 'error' on the refused watcher and forgets it, but not in the queue
    if (manager.state !== CONNECTED || !queue || head === undefined) return;
    if (AUTH_TOKEN.test(String(res.cancel_reason ?? ''))) {
      internals.pool?.authenticator?.invalidateMetadata();
      manager.handleError(new Error(`watch refused (${res.cancel_reason}): reopening the watch stream with a new token`));
      return;
    }
    queue.dequeue(head);
    queue.readQueue();
  };
  return true;
}

/** What of the watch manager's shape the repair relies on is missing from `ns` (undefined: nothing). */
export function watchQueueMissing(ns: Namespace): string | undefined {
  const internals = ns as unknown as NamespaceInternals;
  const manager = internals.watchManager;
  if (!manager || typeof manager !== 'object') return 'Namespace#watchManager';
  if (typeof manager.handleCreatedResponse !== 'function' || typeof manager.handleError !== 'function') {
    return 'WatchManager#handleCreatedResponse() and #handleError()';
  }
  if (typeof manager.state !== 'number') return 'WatchManager#state';
  // The attach queue exists only while a stream is open: its use is read from the manager's code.
  if (!/this\.queue\.handleCreate\(/.test(String(manager.handleCreatedResponse))) return 'WatchManager#queue (its attach queue)';
  if (typeof internals.pool?.authenticator?.invalidateMetadata !== 'function') return 'ConnectionPool#authenticator.invalidateMetadata()';
  return undefined;
}
