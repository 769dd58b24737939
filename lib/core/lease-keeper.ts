import { Lease, Namespace, Watcher } from 'etcd3';
import { RESTORE_BACKOFF, backoffDelay } from './backoff';
import { ClusterIdentity } from './cluster-identity';
import { monotonicNow, withTimeout } from './deadline';
import { RegistryClosedError, RegistryUnavailableError, ServiceConflictError } from './errors';
import { causeOf } from './etcd-errors';
import { messages } from './messages';
import { OperationRunner } from './operation-runner';
import { ResolvedRegistryOptions } from './options';

interface LeaseHandle {
  id: string;
  lease: Lease;
}

interface Entry {
  value: string;
  /** Watch on the key: puts it back when something else deletes it. */
  guard?: Watcher;
  /** Lease of another holder, while the key is held by someone else. */
  conflictWith?: string;
}

/** Not final: the operation runner retries it (the key changed between our read and our write). */
class KeyRaceError extends Error {}

const RESTORE_CONCURRENCY = 64;
const REMEMBERED_LEASES = 16;
/** Verify passes after an uncertain outcome, 2 x timeoutMs apart. */
const VERIFY_PASSES = 2;
const q = (path: string) => JSON.stringify(path);

/**
 * The lease keeper: one lease for all the registry's keys, kept alive by etcd3. When the lease
 * is lost (etcd down longer than the TTL, restarted without data, revoked from outside) or a key
 * is deleted from outside, every key is written again under a new lease, with capped
 * exponential backoff and jitter, until etcd answers. A key never goes out without a lease, and
 * a key held by another live lease is never overwritten nor deleted.
 */
export class LeaseKeeper {
  private current?: LeaseHandle;
  private granting?: Promise<LeaseHandle>;
  /** Every lease this keeper held lately: keys still under one of them are ours to take over. */
  private readonly ownLeases: string[] = [];
  private readonly entries = new Map<string, Entry>();
  /** Keys whose unregister failed: deleted by the next restore pass if still ours. */
  private readonly tombstones = new Set<string>();
  private queue: Promise<unknown> = Promise.resolve();
  private restoreTimer?: NodeJS.Timeout;
  private restoreAttempt = 0;
  private restoreRunning = false;
  private restoreAgain = false;
  private leaseWasLost = false;
  /** A write or delete ended without an answer: it may still land. Verify (and sweep) later. */
  private uncertain = false;
  private verifyTimer?: NodeJS.Timeout;
  private closed = false;
  private closing?: Promise<void>;

  constructor(
    private readonly kv: Namespace,
    private readonly runner: OperationRunner,
    private readonly options: ResolvedRegistryOptions,
    private readonly identity = new ClusterIdentity(),
  ) {
    // A new cluster behind the endpoints: the guards wait on the old cluster's revisions. Drop
    // them; the restore pass writes every key again and guards it from the new write's revision.
    identity.onChange(() => {
      if (this.closed) return;
      for (const entry of this.entries.values()) this.unguard(entry);
      this.scheduleRestore();
    });
  }

  /** Paths registered through this keeper. */
  get paths(): string[] {
    return [...this.entries.keys()];
  }

  /** The id of the lease all keys are under now, if any. */
  get leaseId(): string | undefined {
    return this.current?.id;
  }

  register(path: string, value: string): Promise<void> {
    const deadline = this.runner.deadline();
    return this.serial(async () => {
      this.assertOpen();
      const revision = await this.run(`registration of ${q(path)}`, deadline, () => this.write(path, value)).finally(() =>
        this.verifyIfUncertain(),
      );
      this.assertOpen();
      const entry = this.entries.get(path) ?? { value };
      entry.value = value;
      entry.conflictWith = undefined;
      this.entries.set(path, entry);
      this.tombstones.delete(path);
      this.guard(path, entry, revision);
      this.options.logger.log(`Registered ${q(path)} under lease ${this.current?.id}`);
    });
  }

  unregister(path: string): Promise<void> {
    const deadline = this.runner.deadline();
    return this.serial(async () => {
      const entry = this.entries.get(path);
      if (!entry) return;
      this.entries.delete(path);
      this.unguard(entry);
      try {
        await this.run(`unregistration of ${q(path)}`, deadline, () => this.deleteIfOurs(path)).finally(() =>
          this.verifyIfUncertain(),
        );
      } catch (error) {
        if (!this.closed) {
          this.tombstones.add(path);
          this.scheduleRestore();
        }
        throw error;
      }
      this.options.logger.log(`Unregistered ${q(path)}`);
      if (this.entries.size === 0 && this.tombstones.size === 0) await this.revokeCurrent(deadline);
    });
  }

  /** Revokes the lease (deleting every key under it, and only those), bounded by timeoutMs. Idempotent. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    clearTimeout(this.restoreTimer);
    clearTimeout(this.verifyTimer);
    const count = this.entries.size;
    for (const entry of this.entries.values()) this.unguard(entry);
    this.entries.clear();
    this.closing = this.revokeAll(count);
    return this.closing;
  }

  private async revokeAll(count: number): Promise<void> {
    const current = this.current;
    this.current = undefined;
    current?.lease.release();
    const ids = new Set(this.ownLeases);
    if (ids.size === 0) return;
    const revokes = [...ids].map((id) => this.kv.leaseClient.leaseRevoke({ ID: id }).then(() => true, (e: unknown) => causeOf(e)));
    try {
      const results = await withTimeout(Promise.all(revokes), this.options.timeoutMs);
      const failed = results.filter((r) => r !== true && !/lease not found/.test(String(r)));
      if (failed.length === 0) {
        if (count > 0) this.options.logger.log(`Unregistered ${count} key(s): lease ${current?.id ?? [...ids].pop()} revoked`);
        return;
      }
      this.options.logger.warn(`Could not revoke the lease (${failed[0]}): its keys expire within ${this.options.ttlSeconds} s`);
    } catch {
      this.options.logger.warn(
        `etcd did not answer the lease revoke within ${this.options.timeoutMs} ms: the ${count} key(s) expire within ${this.options.ttlSeconds} s`,
      );
    }
  }

  // --- writing keys -------------------------------------------------------------------------

  /** One attempt: makes sure a lease exists, then writes the key under it. Returns the write's revision. */
  private async write(path: string, value: string): Promise<string> {
    const handle = await this.lease();
    try {
      return await this.guardedPut(path, value, handle);
    } catch (error) {
      if (error instanceof Error && error.name === 'EtcdLeaseInvalidError') this.dropLease(handle, error);
      throw error;
    }
  }

  /**
   * Creates the key under our lease if absent; updates it if one of our leases holds it (taking
   * over keys of an earlier lease of ours); refuses when another lease (or no lease) holds it.
   */
  private async guardedPut(path: string, value: string, handle: LeaseHandle): Promise<string> {
    const put = () => this.kv.put(path).value(value).lease(handle.id);
    const floor = this.identity.highestRevision;
    const res = await this.kv.if(path, 'Create', '==', 0).then(put()).else(this.kv.get(path)).commit();
    this.identity.observe(res.header, floor);
    if (res.succeeded) return res.header.revision;
    const kv = res.responses[0]?.response_range?.kvs[0];
    if (!kv) throw new KeyRaceError(`${q(path)} was deleted while being registered`);
    const holder = String(kv.lease);
    if (holder === handle.id && kv.value.toString() === value) return res.header.revision;
    if (holder !== handle.id && !this.ownLeases.includes(holder)) {
      throw new ServiceConflictError(path, holder, messages.conflict(path, holder));
    }
    const upd = await this.kv.if(path, 'Lease', '==', holder).and(path, 'Mod', '==', kv.mod_revision).then(put()).commit();
    if (!upd.succeeded) throw new KeyRaceError(`${q(path)} changed while being registered`);
    return upd.header.revision;
  }

  /** Deletes the key only if one of our leases holds it. */
  private async deleteIfOurs(path: string): Promise<void> {
    const kv = await this.kv.get(path).exec().then((r) => r.kvs[0]);
    if (!kv) return;
    const holder = String(kv.lease);
    if (!this.ownLeases.includes(holder)) {
      this.options.logger.warn(`Not deleting ${q(path)}: it is held by another lease (${holder}), not by this registry`);
      return;
    }
    const res = await this.kv.if(path, 'Lease', '==', holder).and(path, 'Mod', '==', kv.mod_revision).then(this.kv.delete().key(path)).commit();
    if (!res.succeeded) throw new KeyRaceError(`${q(path)} changed while being unregistered`);
  }

  // --- the lease ----------------------------------------------------------------------------

  private lease(): Promise<LeaseHandle> {
    if (this.current) return Promise.resolve(this.current);
    this.granting ??= this.grant().finally(() => (this.granting = undefined));
    return this.granting;
  }

  private async grant(): Promise<LeaseHandle> {
    this.assertOpen();
    const lease = this.kv.lease(this.options.ttlSeconds);
    let handle: LeaseHandle | undefined;
    lease.on('lost', (error) => handle && this.dropLease(handle, error));
    let id: string;
    try {
      id = await lease.grant();
    } catch (error) {
      lease.release();
      throw error;
    }
    handle = { id, lease };
    this.ownLeases.push(id);
    if (this.ownLeases.length > REMEMBERED_LEASES) this.ownLeases.shift();
    if (this.closed) {
      lease.release();
      void this.kv.leaseClient.leaseRevoke({ ID: id }).catch(() => undefined);
      throw new RegistryClosedError(messages.closed());
    }
    this.current = handle;
    this.options.logger.debug?.(`Lease ${id} granted (ttl ${this.options.ttlSeconds} s)`);
    return handle;
  }

  private dropLease(handle: LeaseHandle, error: unknown): void {
    if (this.current !== handle) return;
    this.current = undefined;
    handle.lease.release();
    if (this.closed) return;
    this.leaseWasLost = true;
    this.options.logger.warn(`Lease ${handle.id} lost (${causeOf(error)}): re-registering ${this.entries.size} key(s)`);
    this.scheduleRestore();
  }

  private async revokeCurrent(deadline: number): Promise<void> {
    const handle = this.current;
    if (!handle) return;
    this.current = undefined;
    try {
      await withTimeout(handle.lease.revoke(), Math.max(0, deadline - monotonicNow()));
    } catch (error) {
      handle.lease.release();
      this.options.logger.debug?.(`Lease ${handle.id} not revoked (${causeOf(error)}); it expires within its TTL`);
    }
  }

  // --- restoring ----------------------------------------------------------------------------

  private scheduleRestore(): void {
    if (this.closed) return;
    if (this.restoreRunning) {
      this.restoreAgain = true;
      return;
    }
    if (this.restoreTimer) return;
    const delay = backoffDelay(this.restoreAttempt, RESTORE_BACKOFF);
    this.restoreTimer = setTimeout(() => {
      this.restoreTimer = undefined;
      void this.serial(() => this.restore());
    }, delay);
  }

  /** Writes every key again (idempotent: a key already ours is left alone) and deletes tombstones. */
  private async restore(): Promise<void> {
    if (this.closed) return;
    this.restoreRunning = true;
    this.restoreAgain = false;
    let failure: unknown;
    const deadline = this.runner.deadline();
    try {
      for (const path of [...this.tombstones]) {
        try {
          await this.run(`unregistration of ${q(path)}`, deadline, () => this.deleteIfOurs(path));
          this.tombstones.delete(path);
        } catch (error) {
          failure ??= error;
        }
      }
      const pending = [...this.entries];
      for (let i = 0; i < pending.length; i += RESTORE_CONCURRENCY) {
        await Promise.all(pending.slice(i, i + RESTORE_CONCURRENCY).map(([path, entry]) => this.restoreEntry(path, entry, deadline).catch((e) => (failure ??= e))));
      }
      if (failure === undefined) await this.runner.run('sweep of the lease', deadline, () => this.sweep()).catch((e) => (failure ??= e));
    } finally {
      this.restoreRunning = false;
      this.verifyIfUncertain();
    }
    if (this.closed) return;
    if (failure !== undefined) {
      this.restoreAttempt++;
      if (this.restoreAttempt === 1 || this.restoreAttempt % 10 === 0) {
        this.options.logger.warn(`Re-registration attempt ${this.restoreAttempt} failed (${causeOf(failure)}); retrying`);
      }
      this.scheduleRestore();
      return;
    }
    if (this.leaseWasLost && this.current) {
      this.options.logger.log(`Lease restored: ${this.entries.size} key(s) re-registered under lease ${this.current.id}`);
      this.leaseWasLost = false;
    }
    this.restoreAttempt = 0;
    if (this.restoreAgain) this.scheduleRestore();
  }

  private async restoreEntry(path: string, entry: Entry, deadline: number): Promise<void> {
    try {
      const revision = await this.run(`re-registration of ${q(path)}`, deadline, () => this.write(path, entry.value));
      if (this.entries.get(path) !== entry) return;
      if (entry.conflictWith !== undefined) this.options.logger.log(`${q(path)} is free again: registered under lease ${this.current?.id}`);
      entry.conflictWith = undefined;
      this.guard(path, entry, revision);
    } catch (error) {
      if (!(error instanceof ServiceConflictError)) throw error;
      // Someone else holds the key now: keep the registration and wait (on the guard) until it is free.
      if (entry.conflictWith !== error.holderLease) this.options.logger.error(error.message);
      entry.conflictWith = error.holderLease;
      this.guard(path, entry);
    }
  }

  // --- uncertain outcomes ---------------------------------------------------------------------

  /**
   * Runs an operation through the runner and notes an uncertain outcome: an attempt that failed
   * without a final answer, or a budget that ran out with an attempt still in flight, may still
   * be applied by etcd later.
   */
  private async run<T>(what: string, deadline: number, attempt: () => Promise<T>): Promise<T> {
    const tracked = () =>
      attempt().catch((error: unknown) => {
        if (!this.runner.classify(error, what)) this.uncertain = true;
        throw error;
      });
    try {
      return await this.runner.run(what, deadline, tracked);
    } catch (error) {
      if (error instanceof RegistryUnavailableError) this.uncertain = true;
      throw error;
    }
  }

  /**
   * A write that timed out may land later: a put after its key was unregistered would leave a
   * stale key under our lease. After such an outcome, a verify pass (re-check every key, then sweep
   * the lease's keys) runs once the late write can no longer be in flight; it repeats while the
   * passes themselves meet uncertainty.
   */
  private verifyIfUncertain(): void {
    if (!this.uncertain || this.closed) return;
    this.uncertain = false;
    clearTimeout(this.verifyTimer);
    const pass = (left: number) => {
      this.verifyTimer = setTimeout(() => {
        this.verifyTimer = undefined;
        this.scheduleRestore();
        if (left > 1) pass(left - 1);
      }, 2 * this.options.timeoutMs);
    };
    pass(VERIFY_PASSES);
  }

  /** Deletes keys under our current lease that this registry does not hold registered. */
  private async sweep(): Promise<void> {
    const handle = this.current;
    if (!handle) return;
    const res = await this.kv.leaseClient.leaseTimeToLive({ ID: handle.id, keys: true });
    const namespace = this.options.namespace;
    for (const raw of res.keys ?? []) {
      const full = Buffer.from(raw).toString();
      if (!full.startsWith(namespace)) continue;
      const path = full.slice(namespace.length);
      if (this.entries.has(path)) continue;
      const del = await this.kv.if(path, 'Lease', '==', handle.id).then(this.kv.delete().key(path)).commit();
      if (del.succeeded) this.options.logger.warn(`Removed ${q(path)}: a late write had put it back after it was unregistered`);
    }
  }

  // --- guards -------------------------------------------------------------------------------

  private guard(path: string, entry: Entry, revision?: string): void {
    if (entry.guard || this.closed) return;
    const builder = this.kv.watch().key(path);
    if (revision !== undefined) builder.startRevision(String(BigInt(revision) + 1n));
    const watcher = builder.watcher();
    entry.guard = watcher;
    const mine = () => this.entries.get(path) === entry && entry.guard === watcher && !this.closed;
    watcher.on('connected', (res: { header?: { cluster_id?: string } }) => mine() && this.identity.observe({ cluster_id: res.header?.cluster_id }));
    watcher.on('delete', () => {
      if (!mine()) return;
      if (entry.conflictWith === undefined) this.options.logger.warn(`${q(path)} was deleted from etcd: putting it back`);
      this.scheduleRestore();
    });
    watcher.on('put', (kv) => {
      if (mine() && !this.ownLeases.includes(String(kv.lease)) && entry.conflictWith === undefined) {
        entry.conflictWith = String(kv.lease);
        this.options.logger.error(messages.conflict(path, String(kv.lease)));
      }
    });
    // After a reconnect, events may have been missed: verify every key.
    watcher.on('disconnected', () => mine() && this.scheduleRestore());
    watcher.on('error', () => {
      // Cancelled by etcd (e.g. its revision was compacted): replace it after a verify pass.
      if (!mine()) return;
      this.unguard(entry);
      this.scheduleRestore();
    });
  }

  private unguard(entry: Entry): void {
    const watcher = entry.guard;
    entry.guard = undefined;
    if (watcher) void watcher.cancel().catch(() => undefined);
  }

  // --- helpers ------------------------------------------------------------------------------

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private assertOpen(): void {
    if (this.closed) throw new RegistryClosedError(messages.closed());
  }
}

