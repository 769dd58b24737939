import type { Etcd3, IOptions } from 'etcd3';
import { backoffDelay, RESYNC_BACKOFF } from '../backoff';
import { HostSelection, hostName, isHostFailure, poolOf } from './host-selection';

/**
 * etcd3's `faultHandling` option, set so that the operation runner is the one retry policy.
 *
 * What etcd3 does (1.1.2, lib/connection-pool.js): every unary call runs through a `global` policy
 * (default: cockatiel's retry, 3 attempts, each on another host) and, on the host it picked, through
 * that host's policy (default: a circuit breaker that skips the host for 5 s after 3 recoverable
 * failures in a row); streams (watch, lease keep-alive) run through the host's policy, and a stream
 * that fails later is reported to it (`markFailed`, an `execute` that throws). The watch manager
 * reconnects after `watchBackoff.next().duration` (typed as a backoff, used as a factory).
 *
 * Why it is replaced: the operation runner (operation-runner.ts) already retries every operation
 * within its budget, bounds each attempt, starts a second attempt next to a stuck one, and the
 * HostSelection (host-order.ts) keeps calls off a member that failed. etcd3's retry under it
 * doubled attempts the runner did not know of (and spent its budget), and its breaker was a second,
 * coarser memory of failed hosts. So:
 * - `global`: runs the call once (no retry);
 * - `host`: runs the call once and tells the HostSelection when the member failed (a recoverable
 *   error, or our own deadline: a hung member); it never skips a host (the selection orders them);
 * - `watchBackoff`: 10-100 ms, doubling to 1 s at most, so a watch reconnects at etcd's election
 *   pace rather than etcd3's default (up to 30 s).
 *
 * What it relies on: etcd3 calls only `execute(fn)` of its policies (never their events), awaits
 * what it returns, and calls `next()` then `duration` of the watch backoff.
 * test/integration/etcd3-contract.spec.ts fails when it does otherwise, and checkEtcd3Internals
 * (etcd3-internals.ts) fails the client's creation when etcd3 did not take these policies.
 */
type FaultHandling = NonNullable<IOptions['faultHandling']>;
export type EtcdPolicy = NonNullable<FaultHandling['global']>;
type WatchBackoff = NonNullable<FaultHandling['watchBackoff']>;

const NO_EVENTS = () => ({ dispose: () => undefined });

/** A policy that runs the call once, with `onError` told of its failure; etcd3 subscribes to no event. */
function runOnce(onError?: (error: unknown) => void): EtcdPolicy {
  const controller = new AbortController();
  return {
    _altReturn: undefined as never,
    onSuccess: NO_EVENTS,
    onFailure: NO_EVENTS,
    async execute<T>(fn: (context: { signal: AbortSignal }) => PromiseLike<T> | T, signal?: AbortSignal): Promise<T> {
      try {
        return await fn({ signal: signal ?? controller.signal });
      } catch (error) {
        onError?.(error);
        throw error;
      }
    },
  };
}

/** etcd3's global policy: the call once, no retry (the operation runner retries). */
export const SINGLE_ATTEMPT: EtcdPolicy = runOnce();

/** The host policies made here (for faultHandlingMissing). */
const reporters = new WeakSet<object>();

/** etcd3's policy of one host: the call once; a host-level failure makes `selection` avoid the host. */
export function hostFailureReporter(selection: HostSelection, host: string): EtcdPolicy {
  const name = hostName(host);
  const policy = runOnce((error) => {
    if (isHostFailure(error)) selection.failed(name);
  });
  reporters.add(policy);
  return policy;
}

interface Backoff {
  readonly duration: number;
  next(): Backoff;
}

function backoffAt(attempt: number): Backoff {
  return { duration: backoffDelay(attempt, RESYNC_BACKOFF), next: () => backoffAt(attempt + 1) };
}

/** etcd3's watch reconnect backoff (a factory: etcd3 calls next() for the first one). */
export const WATCH_BACKOFF: WatchBackoff = { duration: 0, next: () => backoffAt(0) };

/** The `faultHandling` option of a client whose calls go to the hosts of `selection`. */
export function faultHandling(selection: HostSelection): FaultHandling {
  return { global: SINGLE_ATTEMPT, host: (host) => hostFailureReporter(selection, host), watchBackoff: WATCH_BACKOFF };
}

/** Whether etcd3 took the host policies (each pool host's private `faultHandling`); undefined: it did. */
export function faultHandlingMissing(client: Etcd3): string | undefined {
  const hosts = poolOf(client)?.hosts;
  if (!Array.isArray(hosts) || hosts.length === 0) return 'Etcd3#pool.hosts';
  const taken = hosts.every((h) => typeof h.faultHandling === 'object' && h.faultHandling !== null && reporters.has(h.faultHandling));
  return taken ? undefined : "Host#faultHandling set from the option's faultHandling.host(host)";
}
