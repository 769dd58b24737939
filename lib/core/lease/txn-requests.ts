import { CompareResult, CompareTarget, ICompare, ITxnRequest } from 'etcd3';
import type { KeyDecision } from './write-batches';

/**
 * The keeper's transactions as plain etcd requests, for etcd3's KV client (`Namespace.kv.txn`).
 * Built directly rather than through etcd3's ComparatorBuilder: the builder wraps every compare
 * and operation in a promise and awaits them all before the call starts, which the benchmark
 * measured at about 0.03 ms per write (figure 1b of BENCHMARKS.md). Keys get the namespace
 * prefix here, since the KV client adds none.
 */

/** One key of a guarded write: its full key (namespace included), value, and what we expect of it. */
export interface TxnWrite {
  key: Buffer;
  value: Buffer;
  decision: KeyDecision;
}

/** The compare for one key: absent (create revision 0), or unchanged since our read (mod revision). */
function expectation(key: Buffer, decision: KeyDecision): ICompare {
  return decision.kind === 'update'
    ? { key, result: CompareResult.Equal, target: CompareTarget.Mod, mod_revision: decision.modRevision }
    : { key, result: CompareResult.Equal, target: CompareTarget.Create, create_revision: 0 };
}

/**
 * If every key is as expected, put them all under `lease`; else, with `readOnFailure`, read every
 * key (one response per key, in order). Without it the else branch is empty: etcd answers a
 * transaction without one sooner (about 0.02 ms a write here, `npm run bench`), so a write whose
 * keys are expected absent goes lean, and reads them (readKeysRequest) only when one was present.
 */
export function guardedPutRequest(writes: readonly TxnWrite[], lease: string, readOnFailure = true): ITxnRequest {
  return {
    compare: writes.map((w) => expectation(w.key, w.decision)),
    success: writes.map((w) => ({ request_put: { key: w.key, value: w.value, lease } })),
    failure: readOnFailure ? writes.map((w) => ({ request_range: { key: w.key } })) : [],
  };
}

/** If `lease` holds the key, delete it; else, with `readOnFailure`, read it. */
export function deleteIfLeaseRequest(key: Buffer, lease: string, readOnFailure = true): ITxnRequest {
  return {
    compare: [{ key, result: CompareResult.Equal, target: CompareTarget.Lease, lease }],
    success: [{ request_delete_range: { key } }],
    failure: readOnFailure ? [{ request_range: { key } }] : [],
  };
}

/** Reads every key in one linearizable request (one response per key, in order, as an else branch gives them). */
export function readKeysRequest(keys: readonly Buffer[]): ITxnRequest {
  return { compare: [], success: keys.map((key) => ({ request_range: { key } })), failure: [] };
}
