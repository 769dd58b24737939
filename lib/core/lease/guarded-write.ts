import type { CallOptions } from '@grpc/grpc-js';
import { ITxnResponse, Namespace } from 'etcd3';
import type { ClusterIdentity } from '../cluster-identity';
import { messages } from '../messages';
import { TxnSender, etcd3Txn } from '../etcd/direct-txn';
import { deleteIfLeaseRequest, guardedPutRequest, readKeysRequest } from './txn-requests';
import { Holding, KeyDecision, decide } from './write-batches';

/** Not final: the operation runner retries it (keys changed between our read and our write). */
export class KeyRaceError extends Error {}

export interface WriteItem {
  path: string;
  value: string;
  /**
   * A hint: the key is believed present (a path registered already, written again). A batch with
   * such a key reads its keys in the first transaction's else branch; a batch of keys expected
   * absent sends a lean first transaction and reads them only if one was there.
   */
  expectPresent?: boolean;
}

/** Per key: `written` (or already ours with this value) at `revision`, or held by `holder`. */
export type WriteOutcome =
  { kind: 'written'; revision: string; rewritten: boolean } | { kind: 'conflict'; holder: string; revision: string };

/** Rounds of read-then-compare before a batch is handed back to the runner as a race. */
const MAX_ROUNDS = 4;

/**
 * Writes `items` under `leaseId` in one transaction per round (txn-requests.ts): every key is compared with what we
 * expect of it (absent, or unchanged since our read), and all are put together or none. When a
 * compare fails, the same transaction's else branch reads every key, each key is decided again
 * (create, keep, update or conflict: see `decide`) and the keys still to write go in the next
 * round. A key held by another lease (or by no lease) is never written. Paths must be distinct.
 * Each answer's header goes to `identity` (a revision that went back says the cluster was replaced).
 */
export async function writeGuarded(
  kv: Namespace,
  items: readonly WriteItem[],
  leaseId: string,
  isOwn: (lease: string) => boolean,
  call?: CallOptions,
  identity?: ClusterIdentity,
  send: TxnSender = etcd3Txn(kv),
): Promise<WriteOutcome[]> {
  const outcomes: (WriteOutcome | undefined)[] = new Array(items.length);
  const created: KeyDecision = { kind: 'create' };
  let pending: { item: WriteItem; index: number; key: Buffer; value: Buffer; decision: KeyDecision }[] = items.map((item, index) => ({
    item,
    index,
    key: fullKey(kv, item.path),
    value: Buffer.from(item.value),
    decision: created,
  }));
  for (let round = 0; round < MAX_ROUNDS && pending.length > 0; round++) {
    const floor = identity?.highestRevision;
    const lean = round === 0 && !pending.some((p) => p.item.expectPresent);
    const res = await send(guardedPutRequest(pending, leaseId, !lean), call);
    identity?.observe(res.header, floor);
    if (res.succeeded) {
      for (const p of pending) outcomes[p.index] = { kind: 'written', revision: res.header.revision, rewritten: true };
      pending = [];
      break;
    }
    // A lean transaction read nothing: read the keys now (a key expected absent was there).
    const reads = lean ? await readKeys(send, pending, call, identity) : res;
    const next: typeof pending = [];
    pending.forEach((p, i) => {
      const kvs = reads.responses[i]?.response_range?.kvs ?? [];
      const holding: Holding | undefined = kvs[0] && {
        lease: String(kvs[0].lease),
        value: kvs[0].value.toString(),
        modRevision: String(kvs[0].mod_revision),
      };
      const decision = decide(holding, p.item.value, leaseId, isOwn);
      if (decision.kind === 'keep') outcomes[p.index] = { kind: 'written', revision: reads.header.revision, rewritten: false };
      else if (decision.kind === 'conflict')
        outcomes[p.index] = { kind: 'conflict', holder: decision.holder, revision: reads.header.revision };
      else next.push({ ...p, decision });
    });
    pending = next;
  }
  if (pending.length > 0) throw new KeyRaceError(messages.keyRace(pending[0].item.path, pending.length));
  return outcomes as WriteOutcome[];
}

/** Reads the keys of `writes` (one response per key, in order), noting the answer's header. */
async function readKeys(
  send: TxnSender,
  writes: readonly { key: Buffer }[],
  call: CallOptions | undefined,
  identity: ClusterIdentity | undefined,
): Promise<ITxnResponse> {
  const floor = identity?.highestRevision;
  const res = await send(readKeysRequest(writes.map((w) => w.key)), call);
  identity?.observe(res.header, floor);
  return res;
}

/** `path` as etcd stores it: under the namespace's prefix (the KV client adds none). */
function fullKey(kv: Namespace, path: string): Buffer {
  return kv.prefix.length === 0 ? Buffer.from(path) : Buffer.concat([kv.prefix, Buffer.from(path)]);
}

/**
 * Deletes `path` only if one of our leases holds it, in one transaction when it is under `lease`
 * (the current one): delete if the key's lease is ours, else read it. Only a key under an older
 * lease of ours costs another round; a foreign or absent key is left alone. Returns false when
 * another holder (or nobody) has it.
 */
export async function deleteIfOurs(
  kv: Namespace,
  path: string,
  lease: string | undefined,
  isOwn: (lease: string) => boolean,
  call?: CallOptions,
  send: TxnSender = etcd3Txn(kv),
): Promise<{ deleted: boolean; holder?: string }> {
  for (let round = 0; round < MAX_ROUNDS; round++) {
    if (lease === undefined) {
      const held = (await kv.get(path).options(call).exec()).kvs[0];
      if (!held) return { deleted: false };
      lease = String(held.lease);
      if (!isOwn(lease)) return { deleted: false, holder: lease };
    }
    // The first transaction is lean (no else branch): the key is nearly always ours; when not, it is read.
    const lean = round === 0;
    const res = await send(deleteIfLeaseRequest(fullKey(kv, path), lease, !lean), call);
    if (res.succeeded) return { deleted: true };
    const held = lean ? (await kv.get(path).options(call).exec()).kvs[0] : res.responses[0]?.response_range?.kvs?.[0];
    if (!held) return { deleted: false };
    lease = String(held.lease);
    if (!isOwn(lease)) return { deleted: false, holder: lease };
  }
  throw new KeyRaceError(messages.keyRace(path, 1));
}
