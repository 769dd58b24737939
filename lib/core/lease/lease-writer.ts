import type { CallOptions } from '@grpc/grpc-js';
import { Namespace } from 'etcd3';
import type { ClusterIdentity } from '../cluster-identity';
import { RegistryUnavailableError } from '../errors';
import { messages } from '../messages';
import { OperationName, OperationRunner } from '../operation-runner';
import { RegistryLogger } from '../registry.interface';
import { TxnSender, directTxn, etcd3Txn } from '../etcd/direct-txn';
import { WriteItem, WriteOutcome, deleteIfOurs, writeGuarded } from './guarded-write';
import { isLeaseGone } from './lease-errors';
import { deleteIfLeaseRequest } from './txn-requests';
import { LeaseLifecycle } from './lease-lifecycle';

/**
 * The keeper's etcd calls, each through the operation runner with a deadline that starts when the
 * call starts (never while it waits in the keeper's queue). It notes uncertain outcomes (an attempt
 * that ended without an answer may still be applied by etcd later) for the verify passes.
 */
export class LeaseWriter {
  /** A write or delete ended without an answer since the last take(): verify (and sweep) later. */
  private uncertain = false;
  /** How the guarded transactions go out: straight on the host's gRPC client when it can (etcd/direct-txn.ts). */
  private readonly send: TxnSender;

  constructor(
    private readonly kv: Namespace,
    private readonly runner: OperationRunner,
    private readonly lifecycle: LeaseLifecycle,
    private readonly logger: RegistryLogger,
    private readonly identity?: ClusterIdentity,
  ) {
    this.send = directTxn(kv) ?? etcd3Txn(kv);
  }

  /** Writes `items` (distinct paths) under the current lease, granting one first if needed. */
  write(what: OperationName, items: readonly WriteItem[]): Promise<{ lease: string; outcomes: WriteOutcome[] }> {
    return this.run(what, async (call) => {
      // The lease held now needs no grant (nor the wait of an await).
      const lease = this.lifecycle.id ?? (await this.lifecycle.acquire(call));
      try {
        return {
          lease,
          outcomes: await writeGuarded(this.kv, items, lease, (l) => this.lifecycle.isOwn(l), call, this.identity, this.send),
        };
      } catch (error) {
        // Revoked from outside or expired: the next attempt grants a new lease at once.
        if (isLeaseGone(error)) this.lifecycle.invalidate(lease, error);
        throw error;
      }
    });
  }

  /** Deletes `path` if one of our leases holds it (one transaction when it is under the current lease). */
  async remove(path: string): Promise<void> {
    const res = await this.run(
      () => `unregistration of ${JSON.stringify(path)}`,
      (call) => deleteIfOurs(this.kv, path, this.lifecycle.id, (l) => this.lifecycle.isOwn(l), call, this.send),
    );
    if (res.holder !== undefined) this.logger.debug?.(messages.notDeletingForeign(path, res.holder));
  }

  /** Deletes keys under the current lease that the registry does not hold registered (late writes). */
  async sweep(registered: (path: string) => boolean, namespace: string): Promise<void> {
    const lease = this.lifecycle.id;
    if (!lease) return;
    const res = await this.run('sweep of the lease', (call) => this.kv.leaseClient.leaseTimeToLive({ ID: lease, keys: true }, call));
    for (const raw of res.keys ?? []) {
      const key = Buffer.from(raw);
      const full = key.toString();
      if (!full.startsWith(namespace)) continue;
      const path = full.slice(namespace.length);
      if (registered(path)) continue;
      // The keeper's own conditional delete: only while the key is still under this lease.
      const del = await this.run('sweep of the lease', (call) => this.send(deleteIfLeaseRequest(key, lease, false), call));
      if (del.succeeded) this.logger.debug?.(messages.lateWriteRemoved(path));
    }
  }

  /** True once after any uncertain outcome since the last call. */
  takeUncertain(): boolean {
    const was = this.uncertain;
    this.uncertain = false;
    return was;
  }

  private async run<T>(what: OperationName, attempt: (call: CallOptions) => Promise<T>): Promise<T> {
    const tracked = (call: CallOptions) =>
      attempt(call).catch((error: unknown) => {
        if (!this.runner.classify(error, what)) this.uncertain = true;
        throw error;
      });
    try {
      // An attempt still in flight when another one won may land later: uncertain too.
      return await this.runner.run(what, this.runner.deadline(), tracked, () => (this.uncertain = true));
    } catch (error) {
      if (error instanceof RegistryUnavailableError) this.uncertain = true;
      throw error;
    }
  }
}
