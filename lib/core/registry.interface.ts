import type { RegistryEvents } from './events/registry-events';
import type { RegistryStatus } from './status.interface';

/** What addWatch resolves with: removes this one handler (removeWatch removes all of a prefix). */
export interface WatchSubscription {
  readonly prefix: string;
  remove(): Promise<void>;
}

/** The services under a prefix: key (the path as registered, without the namespace) -> value. */
export type ServiceMap = Readonly<Record<string, string>>;

/**
 * What changed between the map a handler was handed before (`previous`; undefined on its first
 * call, when every key counts as added) and the map of this call: keys only, read values from the
 * map. Computed on first read, in time proportional to the change, not to the map. `M` is the
 * kind of map handed over (typed instance watches: InstanceChanges).
 */
export interface MapChanges<M = ServiceMap> {
  readonly previous: M | undefined;
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly updated: readonly string[];
}

/**
 * A watch callback: gets the whole map first, then a new map after each change (changes made while
 * it runs coalesce into one call), with what changed since its previous call. Each map is
 * read-only and never changes after it was handed over; handing it over costs O(1) whatever its
 * size (see docs: reading one key is a lookup, listing the keys is O(N)).
 */
export type WatchHandler = (services: ServiceMap, changes: MapChanges) => void | Promise<void>;

/** How addWatch delivers to one handler. */
export interface WatchOptions {
  /** How logs and `error` events name the handler (e.g. `Class#method`). Default: the function's name. */
  name?: string | undefined;
  /**
   * A call that throws or rejects is made again with the current map after a backoff, until one
   * returns normally: windows from `initialMs` doubling to `maxMs` (each wait a random time in
   * [window/10, window]); a change meanwhile is delivered at once and restarts the backoff. The
   * change set of a call is then relative to the map of the last call that returned normally
   * (none yet: `previous` undefined, every key added). `true`: `{ initialMs: 500, maxMs: 30000 }`.
   * Default: off, a handler that failed is called again at the next change.
   */
  retry?: boolean | { initialMs: number; maxMs: number } | undefined;
}

/** Where the core writes what it does. A Nest `Logger` and `console` both fit. */
export interface RegistryLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string, stack?: string): void;
  debug?(message: string): void;
}

export interface RegistryTlsOptions {
  /** PEM of the CA that signed etcd's server certificate. */
  ca?: string | Buffer | undefined;
  /** PEM client certificate, for mutual TLS (with `key`). */
  cert?: string | Buffer | undefined;
  /** PEM private key of `cert`. */
  key?: string | Buffer | undefined;
}

export interface RegistryOptions {
  /** etcd endpoints: `host:port` or `http(s)://host:port`. Required, non-empty. */
  endpoints: string[];
  username?: string | undefined;
  password?: string | undefined;
  /** TLS material; implies https:// for endpoints without a scheme. */
  tls?: RegistryTlsOptions | undefined;
  /** Budget of each operation, including connecting. Default 5000. */
  timeoutMs?: number | undefined;
  /**
   * Longest wait for one member's answer within an operation, while another member can take the
   * next attempt: a member that does not answer in time (hung, or a follower whose leader died)
   * costs this, not `timeoutMs`, and is avoided for a while. An operation gives each attempt at
   * most a third of its budget (a health probe of 500 ms: 166 ms). With one usable member left, an
   * attempt gets the whole remaining budget. Default 1000 (never more than `timeoutMs`).
   */
  attemptTimeoutMs?: number | undefined;
  /** TTL of the registry's lease. Default 5 (etcd raises values below its minimum, about 2 s). */
  ttlSeconds?: number | undefined;
  /** Key prefix applied to every key (e.g. `/prod`). Maps and paths are given without it. */
  namespace?: string | undefined;
  /** Re-read every watched prefix this often as a safety net. Off by default. */
  resyncIntervalMs?: number | undefined;
  /**
   * Anti-entropy: this often, each live watch compares its map with etcd's range at the map's
   * revision (one small request: the key count and the newest mod_revision), and on a difference
   * re-reads the prefix, logs a warning and emits `watch-resynced` with a reason starting with
   * `drift`. Default 300000 (5 minutes); 0 turns it off.
   */
  antiEntropyIntervalMs?: number | undefined;
  /**
   * How long a watch handler's call may run before it is reported (logged as an error naming the
   * handler and the prefix) and addWatch stops waiting for it. The handler is not called again
   * until that call settles; other handlers are not held up. Default 5000.
   */
  handlerTimeoutMs?: number | undefined;
  /**
   * How long the lease outlives the registry's last key (after an unregister) before it is
   * revoked, so that a register soon after reuses it instead of granting a new one (one round
   * trip instead of two). 0 revokes at once. Default 3000. Close revokes it at once whatever this is.
   */
  leaseLingerMs?: number | undefined;
  /** Where to log; silent by default. */
  logger?: RegistryLogger | undefined;
}

/** The registry: one etcd lease for all its keys, and watches of key prefixes. */
export interface Registry {
  /** Writes `path` = `value` under the registry's lease; resolves once etcd holds it. */
  register(path: string, value: string): Promise<void>;
  /** Deletes `path` if this registry holds it; revokes the lease when no key is left. */
  unregister(path: string): Promise<void>;
  /**
   * Calls `fn` with the whole map under `prefix` (which must end with '/'), then after each
   * change. Resolves after the first call. A call that throws or rejects is logged and reported
   * as one `error` event (source `handler`), and retried when `options.retry` says so.
   */
  addWatch(prefix: string, fn: WatchHandler, options?: WatchOptions): Promise<WatchSubscription>;
  /** Stops every handler on `prefix` and its etcd watch. */
  removeWatch(prefix: string): Promise<void>;
  /** One read of the map under `prefix`. */
  getServices(prefix: string): Promise<ServiceMap>;
  /** A synchronous snapshot of the lease, the registrations and the watches (see RegistryStatus). */
  status(): RegistryStatus;
  /** Unregisters everything, cancels the watches and closes the client. Idempotent, bounded by timeoutMs. */
  close(): Promise<void>;
  /** What the registry reports as it happens (registered, lease lost, ...); absent in registries that report nothing. */
  readonly events?: RegistryEvents | undefined;
  /** Resolves once etcd answers within `timeoutMs`, else rejects with RegistryUnavailableError (health checks); optional. */
  ping?(timeoutMs?: number): Promise<void>;
}
