import { RegistryUnavailableError, ServiceConflictError } from '../errors';
import { messages } from '../messages';
import { RegistryLogger } from '../registry.interface';
import { LeaseWriter } from './lease-writer';
import { OwnershipGuard } from './ownership-guard';
import { Registrations } from './registrations';
import { batchCost, chunkByBudget } from './write-batches';

export interface RestoreContext {
  registrations: Registrations;
  writer: LeaseWriter;
  guard: OwnershipGuard;
  logger: RegistryLogger;
  namespace: string;
  isClosed(): boolean;
}

export interface RestoreResult {
  /** The first failure; undefined when every key was verified (and the lease swept). */
  failure?: unknown;
  /** Keys written again (absent, or under an earlier lease of ours), as opposed to found intact. */
  rewritten: number;
}

/**
 * One restore pass: deletes the tombstones still ours, then writes every registered key again, in
 * batches of one transaction each (a key already ours with its value is left alone; a key held by
 * someone else is kept registered and marked in conflict, never overwritten), then sweeps the
 * lease of keys it should not hold. Each batch has its own deadline; when etcd does not answer
 * one, the pass stops (the caller retries it with backoff).
 */
export async function restorePass(ctx: RestoreContext): Promise<RestoreResult> {
  const { registrations: regs, writer, guard, logger } = ctx;
  let failure: unknown;
  let rewritten = 0;
  for (const path of [...regs.tombstones]) {
    if (ctx.isClosed()) return { rewritten };
    try {
      await writer.remove(path);
      regs.tombstones.delete(path);
    } catch (error) {
      failure ??= error;
      if (error instanceof RegistryUnavailableError) return { failure, rewritten };
    }
  }
  const batches = chunkByBudget([...regs.entries], ([path, e]) => batchCost(path, e.value));
  for (const batch of batches) {
    if (ctx.isClosed()) return { rewritten };
    let written;
    try {
      written = await writer.write(
        messages.restoring(batch.length),
        batch.map(([path, e]) => ({ path, value: e.value, expectPresent: !e.missing })),
      );
    } catch (error) {
      failure ??= error;
      if (error instanceof RegistryUnavailableError) return { failure, rewritten };
      continue;
    }
    const covered: string[] = [];
    let revision: bigint | undefined;
    batch.forEach(([path, entry], i) => {
      const outcome = written.outcomes[i];
      if (regs.entries.get(path) !== entry) return;
      covered.push(path);
      if (revision === undefined || BigInt(outcome.revision) < revision) revision = BigInt(outcome.revision);
      if (outcome.kind === 'written') {
        if (outcome.rewritten) rewritten++;
        const wasConflict = regs.confirm(path, entry.value, outcome.revision, written.lease);
        if (wasConflict !== undefined) logger.log(messages.keyFreeAgain(path, written.lease));
        return;
      }
      // Someone else holds the key now: keep the registration, and wait (on the guard) until it is free.
      if (entry.conflictWith !== outcome.holder)
        logger.warn(new ServiceConflictError(path, outcome.holder, messages.conflict(path, outcome.holder)).message);
      entry.conflictWith = outcome.holder;
      entry.confirmedAt = BigInt(outcome.revision);
    });
    if (revision !== undefined) guard.cover(covered, String(revision));
  }
  if (failure === undefined && !ctx.isClosed()) {
    await writer.sweep((path) => regs.entries.has(path), ctx.namespace).catch((error: unknown) => (failure ??= error));
  }
  return { failure, rewritten };
}
