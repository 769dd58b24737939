import type { CallOptions } from '@grpc/grpc-js';
import { Lease, Namespace } from 'etcd3';
import { monotonicNow, withTimeout } from '../deadline';
import { RegistryClosedError } from '../errors';
import { causeOf } from '../final-error';
import { messages } from '../messages';
import { ResolvedRegistryOptions } from '../options';
import type { LeaseStatus } from '../status.interface';
import { isLeaseGone } from './lease-errors';

interface Held {
  id: string;
  lease: Lease;
  ttlSeconds: number;
  lastKeepAliveAt: number;
}

/** Leases remembered as ours: keys still under one of them are taken over, never refused. */
const REMEMBERED_LEASES = 16;

/**
 * The lease lifecycle: one lease at a time, granted on demand (concurrent callers share one
 * grant), kept alive by etcd3, reported lost (`onLost`) when etcd3 says so or when a write finds
 * it gone, revoked when the registry holds no key, and every lease of ours revoked on close.
 */
export class LeaseLifecycle {
  private held?: Held;
  private granting?: Promise<string>;
  private readonly own: string[] = [];
  private closed = false;

  constructor(
    private readonly kv: Namespace,
    private readonly options: ResolvedRegistryOptions,
    private readonly onLost: (id: string, cause: unknown) => void,
  ) {}

  /** The lease held now, if any. */
  get id(): string | undefined {
    return this.held?.id;
  }

  /** True for a lease this registry held lately (the current one included). */
  isOwn(id: string): boolean {
    return this.own.includes(id);
  }

  status(): LeaseStatus | undefined {
    const h = this.held;
    return h && { id: h.id, ttlSeconds: h.ttlSeconds, lastKeepAliveAt: h.lastKeepAliveAt };
  }

  /**
   * The current lease, granted first if there is none. The grant ends by `call`'s deadline (the
   * attempt's: short while another member can take the next attempt, so a grant stuck on a dead
   * leader is given up and asked anew elsewhere), or `attemptTimeoutMs` without one.
   */
  acquire(call?: CallOptions): Promise<string> {
    if (this.closed) return Promise.reject(new RegistryClosedError(messages.closed()));
    if (this.held) return Promise.resolve(this.held.id);
    this.granting ??= this.grant(this.grantDeadline(call)).finally(() => (this.granting = undefined));
    return this.granting;
  }

  /** A write found lease `id` gone (revoked or expired): forget it and report it lost. */
  invalidate(id: string, cause: unknown): void {
    if (this.held?.id === id) this.drop(this.held, cause);
  }

  /** Revokes the current lease (the registry holds no key any more), within `deadline`. */
  async revoke(deadline: number): Promise<void> {
    const h = this.held;
    if (!h) return;
    this.held = undefined;
    try {
      await withTimeout(h.lease.revoke(), Math.max(0, deadline - monotonicNow()));
      this.options.logger.debug?.(messages.leaseRevoked(h.id));
    } catch (error) {
      h.lease.release();
      this.options.logger.debug?.(messages.leaseNotRevoked(h.id, causeOf(error), this.options.ttlSeconds));
    }
  }

  /**
   * Revokes every lease of ours (deleting their keys, and only those), after waiting for a grant
   * in flight so that it cannot outlive the registry. Bounded by timeoutMs in all; idempotent.
   */
  async close(keys: number): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const deadline = monotonicNow() + this.options.timeoutMs;
    if (this.granting) await withTimeout(this.granting, this.options.timeoutMs).catch(() => undefined);
    const current = this.held;
    this.held = undefined;
    current?.lease.release();
    const ids = [...new Set(this.own)];
    if (ids.length === 0) return;
    const revokes = ids.map((id) =>
      this.kv.leaseClient.leaseRevoke({ ID: id }).then(
        () => undefined,
        (e: unknown) => (isLeaseGone(e) ? undefined : causeOf(e)),
      ),
    );
    try {
      const failed = (await withTimeout(Promise.all(revokes), Math.max(0, deadline - monotonicNow()))).filter((r) => r !== undefined);
      if (failed.length === 0) this.options.logger.debug?.(messages.closedRevoked(keys, current?.id ?? ids[ids.length - 1]));
      else this.options.logger.warn(messages.revokeFailed(failed[0], this.options.ttlSeconds));
    } catch {
      this.options.logger.warn(messages.revokeTimedOut(this.options.timeoutMs, keys, this.options.ttlSeconds));
    }
  }

  private grantDeadline(call?: CallOptions): Date {
    return call?.deadline instanceof Date ? call.deadline : new Date(Date.now() + this.options.attemptTimeoutMs);
  }

  private async grant(deadline: Date): Promise<string> {
    // etcd3 gives the grant call this deadline, and not the lease's later calls (keep-alives, revoke).
    const lease = this.kv.lease(this.options.ttlSeconds, { deadline });
    let held: Held | undefined;
    lease.on('lost', (error) => held && this.drop(held, error));
    lease.on('keepaliveSucceeded', (res: { TTL: string }) => {
      if (!held) return;
      held.lastKeepAliveAt = Date.now();
      if (Number(res.TTL) > 0) held.ttlSeconds = Number(res.TTL);
    });
    let id: string;
    try {
      id = await lease.grant();
    } catch (error) {
      lease.release();
      throw error;
    }
    this.own.push(id);
    if (this.own.length > REMEMBERED_LEASES) this.own.shift();
    if (this.closed) {
      // close() waits for this grant and revokes every lease in `own`, this one included.
      lease.release();
      throw new RegistryClosedError(messages.closed());
    }
    held = { id, lease, ttlSeconds: this.options.ttlSeconds, lastKeepAliveAt: Date.now() };
    this.held = held;
    this.options.logger.debug?.(messages.leaseGranted(id, this.options.ttlSeconds));
    return id;
  }

  private drop(h: Held, cause: unknown): void {
    if (this.held !== h) return;
    this.held = undefined;
    h.lease.release();
    if (!this.closed) this.onLost(h.id, cause);
  }
}
