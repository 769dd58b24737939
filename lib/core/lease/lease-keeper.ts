import { Namespace } from 'etcd3';
import { RESTORE_BACKOFF, backoffDelay } from '../backoff';
import { ClusterIdentity } from '../cluster-identity';
import { monotonicNow } from '../deadline';
import { RegistryClosedError, RegistryUnavailableError, ServiceConflictError } from '../errors';
import { causeOf } from '../final-error';
import { messages } from '../messages';
import { OperationRunner } from '../operation-runner';
import { ResolvedRegistryOptions } from '../options';
import type { LeaseStatus, RegistrationStatus } from '../status.interface';
import { LeaseLifecycle } from './lease-lifecycle';
import { LeaseWriter } from './lease-writer';
import { GuardHost, OwnershipGuard } from './ownership-guard';
import { Registrations } from './registrations';
import { restorePass } from './restore-pass';
import { KeeperOp, RegisterOp, UnregisterOp, isCallerOp, takeNext } from './write-queue';

/** Verify passes after an uncertain outcome, 2 x timeoutMs apart. */
const VERIFY_PASSES = 2;

/**
 * The lease keeper: one lease for all the registry's keys (LeaseLifecycle), one watch guarding
 * them (OwnershipGuard), and restore passes that write every key again, in batches, when the
 * lease is lost or a key is deleted from outside, with capped exponential backoff and jitter
 * until etcd answers. A key never goes out without a lease, and a key held by another live lease
 * is never overwritten nor deleted.
 *
 * Calls run one unit at a time from a queue; consecutive registrations share one transaction.
 * A call's deadline (timeoutMs) starts when its own etcd call starts: waiting in the queue does
 * not count. The queue only holds calls while etcd answers: when it does not answer one within
 * timeoutMs, every call queued behind it rejects at once with the same cause.
 */
export class LeaseKeeper {
  private readonly regs = new Registrations();
  private readonly lifecycle: LeaseLifecycle;
  private readonly writer: LeaseWriter;
  private readonly guard: OwnershipGuard;
  private readonly ops: KeeperOp[] = [];
  private working = false;
  private restoreQueued = false;
  private restoreTimer?: NodeJS.Timeout;
  private restoreAttempt = 0;
  private leaseWasLost = false;
  private verifyTimer?: NodeJS.Timeout;
  private lingerTimer?: NodeJS.Timeout;
  private closed = false;
  private closing?: Promise<void>;

  constructor(
    private readonly kv: Namespace,
    private readonly runner: OperationRunner,
    private readonly options: ResolvedRegistryOptions,
    identity = new ClusterIdentity(),
  ) {
    this.lifecycle = new LeaseLifecycle(kv, options, (id, cause) => this.onLeaseLost(id, cause));
    this.writer = new LeaseWriter(kv, runner, this.lifecycle, options.logger, identity);
    this.guard = new OwnershipGuard(kv, this.guardHost(), options.logger, identity);
    // A new cluster behind the endpoints: the guard waits on the old cluster's revisions. Drop it;
    // the restore pass writes every key again and guards it from the new write's revision.
    identity.onChange(() => {
      if (this.closed) return;
      this.guard.release();
      for (const entry of this.regs.entries.values()) entry.missing = true;
      this.scheduleRestore();
    });
  }

  /** Paths registered through this keeper. */
  get paths(): string[] {
    return [...this.regs.entries.keys()];
  }

  /** The id of the lease all keys are under now, if any. */
  get leaseId(): string | undefined {
    return this.lifecycle.id;
  }

  /** Number of etcd watches guarding the keys (one, whatever their number). */
  get guardWatchCount(): number {
    return this.guard.watchCount;
  }

  /** A synchronous snapshot: the lease (id, TTL, last keep-alive) and each registration's state. */
  status(): { lease?: LeaseStatus; registrations: RegistrationStatus[] } {
    const lease = this.lifecycle.status();
    return { lease, registrations: this.regs.status(lease?.id) };
  }

  register(path: string, value: string): Promise<void> {
    if (this.closed) return Promise.reject(new RegistryClosedError(messages.closed()));
    // A lingering lease is kept: this registration goes under it.
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    const expectPresent = this.regs.entries.has(path);
    return new Promise((resolve, reject) => this.enqueue({ kind: 'register', path, value, expectPresent, resolve, reject }));
  }

  unregister(path: string): Promise<void> {
    if (this.closed) return Promise.reject(new RegistryClosedError(messages.closed()));
    return new Promise((resolve, reject) => this.enqueue({ kind: 'unregister', path, resolve, reject }));
  }

  /** Revokes every lease of ours (deleting their keys, and only those), bounded by timeoutMs. Idempotent. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    clearTimeout(this.restoreTimer);
    clearTimeout(this.verifyTimer);
    this.guard.close();
    clearTimeout(this.lingerTimer);
    for (const op of this.ops.splice(0)) if (isCallerOp(op)) op.reject(new RegistryClosedError(messages.closed()));
    const count = this.regs.entries.size;
    this.regs.entries.clear();
    this.regs.tombstones.clear();
    this.closing = this.lifecycle.close(count);
    return this.closing;
  }

  // --- the queue ------------------------------------------------------------------------------

  private enqueue(op: KeeperOp): void {
    this.ops.push(op);
    if (!this.working) void this.work();
  }

  private async work(): Promise<void> {
    this.working = true;
    try {
      while (this.ops.length > 0 && !this.closed) {
        const next = takeNext(this.ops);
        const first = next[0];
        if (first.kind === 'register') await this.registerBatch(next as RegisterOp[]);
        else if (first.kind === 'unregister') await this.unregisterOne(first);
        else if (first.kind === 'linger-end') await this.revokeIfIdle();
        else await this.restore();
      }
    } finally {
      this.working = false;
    }
  }

  private async registerBatch(ops: RegisterOp[]): Promise<void> {
    let written;
    try {
      written = await this.writer.write(() => messages.registering(ops[0].path, ops.length), ops);
    } catch (error) {
      if (ops.length > 1 && !(error instanceof RegistryUnavailableError) && !(error instanceof RegistryClosedError)) {
        // A refusal of the whole transaction (permission, size): find the key(s) it concerns.
        const mid = ops.length >> 1;
        await this.registerBatch(ops.slice(0, mid));
        await this.registerBatch(ops.slice(mid));
        return;
      }
      for (const op of ops) this.refuse(op, this.errorFor(op, error));
      if (error instanceof RegistryUnavailableError) this.drain(error);
      await this.afterFailure();
      return;
    } finally {
      this.verifyIfUncertain();
    }
    const covered: string[] = [];
    let revision: bigint | undefined;
    let refused = false;
    ops.forEach((op, i) => {
      const outcome = written.outcomes[i];
      if (this.closed) return op.reject(new RegistryClosedError(messages.closed()));
      if (outcome.kind === 'conflict') {
        refused = true;
        return this.refuse(op, new ServiceConflictError(op.path, outcome.holder, messages.conflict(op.path, outcome.holder)));
      }
      const previous = this.regs.entries.get(op.path)?.value;
      this.regs.confirm(op.path, op.value, outcome.revision, written.lease);
      covered.push(op.path);
      if (revision === undefined || BigInt(outcome.revision) < revision) revision = BigInt(outcome.revision);
      // A new path is news; a new value of a registered path (e.g. marked draining) is said as such; the same again is detail.
      // Events likewise: `registered` for a first write only, `updated` for a new value (a drain's re-write).
      if (previous === undefined) {
        this.options.logger.log(messages.registered(op.path, written.lease));
        this.options.events.emit({ type: 'registered', path: op.path, lease: written.lease });
      } else if (previous !== op.value) {
        this.options.logger.log(messages.valueUpdated(op.path, written.lease));
        this.options.events.emit({ type: 'updated', path: op.path, lease: written.lease });
      } else this.options.logger.debug?.(messages.registered(op.path, written.lease));
      op.resolve();
    });
    if (revision !== undefined) this.guard.cover(covered, String(revision));
    if (refused) await this.afterFailure();
  }

  private async unregisterOne(op: UnregisterOp): Promise<void> {
    if (!this.regs.entries.delete(op.path)) return op.resolve();
    try {
      await this.writer.remove(op.path);
    } catch (error) {
      if (!this.closed) {
        this.regs.tombstones.add(op.path);
        this.scheduleRestore();
      }
      op.reject(error);
      if (error instanceof RegistryUnavailableError) this.drain(error);
      return;
    } finally {
      this.verifyIfUncertain();
    }
    this.options.logger.debug?.(messages.unregistered(op.path));
    this.options.events.emit({ type: 'unregistered', path: op.path });
    await this.revokeIfIdle(true);
    op.resolve();
  }

  /**
   * A refused registration leaves nothing behind: the path leaves the registry's set (a key of ours
   * still holding an older value of it is deleted by the next restore pass).
   */
  private refuse(op: RegisterOp, error: unknown): void {
    if (!this.closed && this.regs.entries.has(op.path)) {
      this.regs.forget(op.path);
      this.scheduleRestore();
    }
    op.reject(error);
  }

  /** After a refusal: a lease with no key left is revoked rather than kept alive for nothing. */
  private async afterFailure(): Promise<void> {
    await this.revokeIfIdle();
  }

  /**
   * A lease with no key left is revoked: at once after a refusal or a restore, and after an
   * unregistration only once it has lingered leaseLingerMs without a new key (so that
   * register/unregister churn does not grant a lease each time).
   */
  private async revokeIfIdle(linger = false): Promise<void> {
    if (this.closed || !this.regs.empty || this.ops.some((o) => o.kind === 'register')) return;
    const lease = this.lifecycle.id;
    const ms = this.options.leaseLingerMs;
    if (linger && lease && ms > 0) {
      if (this.lingerTimer) return;
      this.options.logger.debug?.(messages.leaseLingers(lease, ms));
      this.lingerTimer = setTimeout(() => {
        this.lingerTimer = undefined;
        if (!this.closed) this.enqueue({ kind: 'linger-end' });
      }, ms);
      this.lingerTimer.unref();
      return;
    }
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    // While the lease lingers the guard keeps its watch (it reports registered keys only), so a
    // register meanwhile needs no new one.
    this.guard.release();
    await this.lifecycle.revoke(monotonicNow() + this.options.timeoutMs);
  }

  /** etcd did not answer within timeoutMs: every call still queued would wait on the same etcd, so it rejects now. */
  private drain(cause: RegistryUnavailableError): void {
    const queued = this.ops.filter(isCallerOp);
    if (queued.length === 0) return;
    this.ops.splice(0, this.ops.length, ...this.ops.filter((o) => !isCallerOp(o)));
    for (const op of queued) {
      const error = this.errorFor(op, cause);
      if (op.kind === 'register') this.refuse(op, error);
      else {
        if (this.regs.entries.has(op.path)) this.regs.forget(op.path);
        op.reject(error);
      }
    }
    this.scheduleRestore();
  }

  /** The error of `op` when its batch (or the call ahead of it) failed with `error`: unavailability names the op itself. */
  private errorFor(op: RegisterOp | UnregisterOp, error: unknown): unknown {
    const what = op.kind === 'register' ? messages.registering(op.path, 1) : `unregistration of ${JSON.stringify(op.path)}`;
    return this.runner.forOperation(error, what);
  }

  // --- restoring ------------------------------------------------------------------------------

  private onLeaseLost(id: string, cause: unknown): void {
    if (this.closed) return;
    if (this.regs.empty) {
      this.options.logger.debug?.(messages.leaseLost(id, causeOf(cause), 0));
      return;
    }
    this.leaseWasLost = true;
    this.options.logger.warn(messages.leaseLost(id, causeOf(cause), this.regs.entries.size));
    this.options.events.emit({ type: 'lease-lost', lease: id, cause: causeOf(cause), keys: this.regs.entries.size });
    this.scheduleRestore();
  }

  private scheduleRestore(): void {
    if (this.closed || this.restoreTimer || this.restoreQueued) return;
    const delay = backoffDelay(this.restoreAttempt, RESTORE_BACKOFF);
    this.restoreTimer = setTimeout(() => {
      this.restoreTimer = undefined;
      this.restoreQueued = true;
      this.enqueue({ kind: 'restore' });
    }, delay);
  }

  private async restore(): Promise<void> {
    this.restoreQueued = false;
    if (this.closed) return;
    const result = await restorePass({
      registrations: this.regs,
      writer: this.writer,
      guard: this.guard,
      logger: this.options.logger,
      namespace: this.options.namespace,
      isClosed: () => this.closed,
    }).finally(() => this.verifyIfUncertain());
    if (this.closed) return;
    if (result.failure !== undefined) {
      this.restoreAttempt++;
      this.options.logger.debug?.(messages.restoreFailed(this.restoreAttempt, causeOf(result.failure)));
      this.options.events.emit({
        type: 'error',
        source: 'lease',
        message: messages.restoreFailed(this.restoreAttempt, causeOf(result.failure)),
        error: result.failure,
      });
      if (result.failure instanceof RegistryUnavailableError) this.drain(result.failure);
      this.scheduleRestore();
      return;
    }
    this.restoreAttempt = 0;
    const lease = this.lifecycle.id;
    if (lease && (this.leaseWasLost || result.rewritten > 0)) {
      this.options.logger.log(messages.leaseRestored(result.rewritten, lease));
      this.options.events.emit({ type: 'lease-restored', lease, keys: result.rewritten });
      this.leaseWasLost = false;
    }
    await this.revokeIfIdle();
  }

  /**
   * A write that timed out may land later: a put after its key was unregistered would leave a
   * stale key under our lease. After such an outcome, a verify pass (re-check every key, then sweep
   * the lease's keys) runs once the late write can no longer be in flight; it repeats while the
   * passes themselves meet uncertainty.
   */
  private verifyIfUncertain(): void {
    if (!this.writer.takeUncertain() || this.closed) return;
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

  private guardHost(): GuardHost {
    return {
      confirmedAt: (path) => this.regs.entries.get(path)?.confirmedAt,
      paths: () => this.paths,
      isOwn: (lease) => this.lifecycle.isOwn(lease),
      onDeleted: (path) => {
        const entry = this.regs.entries.get(path);
        if (!entry) return;
        if (entry.conflictWith === undefined) this.options.logger.debug?.(messages.keyDeleted(path));
        entry.missing = true;
        this.scheduleRestore();
      },
      onTaken: (path, lease) => {
        const entry = this.regs.entries.get(path);
        if (!entry || entry.conflictWith !== undefined) return;
        entry.conflictWith = lease;
        this.options.logger.warn(messages.conflict(path, lease));
        this.options.events.emit({ type: 'error', source: 'conflict', subject: path, message: messages.conflict(path, lease) });
      },
      onGap: (reason) => {
        this.options.logger.debug?.(messages.guardGap(reason, this.regs.entries.size));
        this.scheduleRestore();
      },
    };
  }
}
