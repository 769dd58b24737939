import type { Etcd3, Namespace } from 'etcd3';
import { ClusterIdentity } from './cluster-identity';
import { monotonicNow, withTimeout } from './deadline';
import { RegistryClosedError, WatchRemovedError } from './errors';
import { RegistryEvents } from './events/registry-events';
import { HandlerDelivery, handlerReports } from './watch/handler-delivery';
import { assertHandler, assertPath, assertPrefix, assertValue, resolveWatchOptions } from './input-validation';
import { createEtcdClient, etcdParts } from './lazy-etcd';
import type { LeaseKeeper } from './lease/lease-keeper';
import { attachRevisions } from './map-revisions';
import { messages } from './messages';
import { OperationRunner } from './operation-runner';
import { ResolvedRegistryOptions, resolveRegistryOptions } from './options';
import type { PrefixWatcher, PrefixWatcherContext } from './watch/prefix-watcher';
import { Registry, RegistryOptions, ServiceMap, WatchHandler, WatchOptions, WatchSubscription } from './registry.interface';
import type { RegistryStatus } from './status.interface';

interface WatchEntry {
  watcher: PrefixWatcher;
  started: Promise<void>;
}

/** The registry: composes the lease keeper (registrations) and one prefix watcher per watched prefix. */
export class EtcdRegistry implements Registry {
  private readonly kv: Namespace;
  private readonly runner: OperationRunner;
  private readonly keeper: LeaseKeeper;
  /** Which cluster answers: a new one (wiped, rebuilt) restarts every watch, the keeper's guards included. */
  private readonly identity = new ClusterIdentity();
  private readonly watchContext: PrefixWatcherContext;
  private readonly watches = new Map<string, WatchEntry>();
  private closing?: Promise<void>;

  constructor(
    readonly options: ResolvedRegistryOptions,
    private readonly client: Etcd3,
    private readonly ownsClient: boolean,
  ) {
    const etcd = etcdParts();
    this.kv = options.namespace ? client.namespace(options.namespace) : client;
    this.runner = new OperationRunner(options, etcd.hostSelectionOf(client), etcd.etcd3ErrorKind);
    etcd.repairWatchQueue(this.kv);
    etcd.leanWatchRevision(this.kv);
    this.keeper = new etcd.LeaseKeeper(this.kv, this.runner, options, this.identity);
    this.watchContext = { kv: this.kv, runner: this.runner, options, identity: this.identity };
    this.identity.onChange((reason) => this.options.logger.warn(messages.clusterChanged(reason)));
  }

  /** Paths registered by this registry. */
  get registeredPaths(): string[] {
    return this.keeper.paths;
  }

  /** The lease all of this registry's keys are under now (undefined before the first register or while restoring). */
  get leaseId(): string | undefined {
    return this.keeper.leaseId;
  }

  /** What the registry reports as it happens (registered, lease lost, restored, watch stale/live, ...). */
  get events(): RegistryEvents {
    return this.options.events;
  }

  /**
   * Resolves once etcd answers a status request within `timeoutMs` (default: the registry's);
   * rejects with RegistryUnavailableError otherwise. Health checks use it.
   */
  async ping(timeoutMs = this.options.timeoutMs): Promise<void> {
    this.assertOpen();
    await this.runner.run('health probe (status of an etcd member)', monotonicNow() + timeoutMs, (call) =>
      this.client.maintenance.status(call),
    );
  }

  /** A synchronous snapshot of the lease, the registrations and the watches. */
  status(): RegistryStatus {
    const { lease, registrations } = this.keeper.status();
    return {
      lease,
      registrations,
      watches: [...this.watches.values()].map(({ watcher }) => watcher.status()),
      closed: this.closing !== undefined,
    };
  }

  async register(path: string, value: string): Promise<void> {
    assertPath(path);
    assertValue(path, value, this.options.namespace, this.options.username);
    this.assertOpen();
    await this.keeper.register(path, value);
  }

  async unregister(path: string): Promise<void> {
    assertPath(path);
    this.assertOpen();
    await this.keeper.unregister(path);
  }

  async addWatch(prefix: string, fn: WatchHandler, options?: WatchOptions): Promise<WatchSubscription> {
    assertPrefix(prefix);
    assertHandler(fn);
    const { name, retry } = resolveWatchOptions(fn.name, options);
    this.assertOpen();
    let entry = this.watches.get(prefix);
    if (!entry) {
      const watcher = new (etcdParts().PrefixWatcher)(this.watchContext, prefix);
      const created: WatchEntry = { watcher, started: watcher.start() };
      entry = created;
      this.watches.set(prefix, created);
      created.started.catch(() => {
        watcher.close();
        if (this.watches.get(prefix) === created) this.watches.delete(prefix);
      });
    }
    await entry.started;
    const watcher = entry.watcher;
    // removeWatch or close() may have stopped this watch while it was starting.
    this.assertStillWatching(prefix, watcher);
    const delivery = watcher.add(fn, handlerReports(this.options.logger, this.options.events, prefix, name), retry);
    // 'stopped': removeWatch, remove() or close() came before the first call.
    if ((await delivery.first) === 'stopped') this.assertStillWatching(prefix, undefined);
    return { prefix, remove: async () => this.removeHandler(prefix, watcher, delivery) };
  }

  async removeWatch(prefix: string): Promise<void> {
    assertPrefix(prefix);
    const entry = this.watches.get(prefix);
    if (!entry) return;
    this.watches.delete(prefix);
    entry.watcher.close();
  }

  async getServices(prefix: string): Promise<ServiceMap> {
    assertPrefix(prefix);
    this.assertOpen();
    const res = await this.runner.run(`read of prefix ${JSON.stringify(prefix)}`, this.runner.deadline(), (call) =>
      this.kv.getAll().prefix(prefix).options(call).exec(),
    );
    const map: Record<string, string> = Object.create(null);
    const revisions = new Map<string, string>();
    for (const kv of res.kvs) {
      map[kv.key.toString()] = kv.value.toString();
      revisions.set(kv.key.toString(), kv.mod_revision);
    }
    const services: ServiceMap = Object.freeze(map);
    attachRevisions(services, (key) => revisions.get(key));
    return services;
  }

  /** Unregisters everything (one lease revoke), stops the watches, closes the client. Bounded by timeoutMs; idempotent. */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    for (const { watcher } of this.watches.values()) watcher.close();
    this.watches.clear();
    // The keeper bounds its own revoke by timeoutMs; the extra race only guards against a hang we did not foresee.
    await withTimeout(this.keeper.close(), this.options.timeoutMs + 250).catch(() => undefined);
    this.runner.close();
    if (this.ownsClient) this.client.close();
  }

  private removeHandler(prefix: string, watcher: PrefixWatcher, delivery: HandlerDelivery): void {
    watcher.remove(delivery);
    if (watcher.handlerCount === 0 && this.watches.get(prefix)?.watcher === watcher) {
      this.watches.delete(prefix);
      watcher.close();
    }
  }

  /** Throws when the registry closed, or `watcher` is no longer the prefix's watch (removeWatch). */
  private assertStillWatching(prefix: string, watcher: PrefixWatcher | undefined): void {
    this.assertOpen();
    if (!watcher || watcher.isClosed) throw new WatchRemovedError(prefix, messages.watchRemoved(prefix));
  }

  private assertOpen(): void {
    if (this.closing) throw new RegistryClosedError(messages.closed());
  }
}

/**
 * Creates a registry (the seed's `New(endpoints, user, pass, timeout, ttl)`). Options are
 * validated at once; etcd is not contacted until the first operation. Pass `client` to use a
 * client created elsewhere (it is then not closed by `close()`).
 */
export function createRegistry(options: RegistryOptions, client?: Etcd3): EtcdRegistry {
  const resolved = resolveRegistryOptions(options);
  return new EtcdRegistry(resolved, client ?? createEtcdClient(resolved), client === undefined);
}
