import { messages } from '../core/messages';
import type { RegistryStatus } from '../core';

/** What an indicator checks: etcd answers, the lease is held, this instance is registered, every watch is live. */
export type RegistryHealthCheck = 'etcd' | 'lease' | 'registration' | 'watches';

export const ALL_HEALTH_CHECKS: readonly RegistryHealthCheck[] = ['etcd', 'lease', 'registration', 'watches'];

export interface RegistryHealthInput {
  status: RegistryStatus;
  /** This instance's key, when it has one. */
  serviceKey?: string | undefined;
  /** True when this application registers an instance (a watch-only application has no registration to miss). */
  expectRegistration: boolean;
  draining: boolean;
  /** Resolves with why etcd is unreachable, or undefined when it answered. */
  probe(): Promise<string | undefined>;
}

export interface RegistryHealthDetails {
  healthy: boolean;
  /** Why it is down, one line each; empty when up. */
  reasons: string[];
  etcd: 'reachable' | 'unreachable' | 'not checked';
  lease: { id: string; ttlSeconds: number; lastKeepAliveAt?: number } | null;
  registration?: { path: string; state: string };
  draining: boolean;
  watches: { prefix: string; live: boolean; revision?: string; staleForMs?: number }[];
}

/** The health of a registry from its status and one reachability probe. Pure but for the probe. */
export async function checkRegistryHealth(
  input: RegistryHealthInput,
  checks: readonly RegistryHealthCheck[] = ALL_HEALTH_CHECKS,
): Promise<RegistryHealthDetails> {
  const on = new Set(checks);
  const now = Date.now();
  const { status } = input;
  const reasons: string[] = [];
  let etcd: RegistryHealthDetails['etcd'] = 'not checked';
  if (status.closed) reasons.push(messages.healthClosed());
  else if (on.has('etcd')) {
    const unreachable = await input.probe();
    etcd = unreachable === undefined ? 'reachable' : 'unreachable';
    if (unreachable !== undefined) reasons.push(messages.healthUnreachable(unreachable));
  }
  // Keys registered but no lease: it was lost and a new one is not granted yet.
  if (on.has('lease') && status.registrations.length > 0 && !status.lease) {
    reasons.push(messages.healthLeaseLost(status.registrations.length));
  }
  let registration: RegistryHealthDetails['registration'];
  if (input.expectRegistration && input.serviceKey !== undefined) {
    const own = status.registrations.find((r) => r.path === input.serviceKey);
    const state = input.draining ? 'draining' : (own?.state ?? 'not registered');
    registration = { path: input.serviceKey, state };
    if (on.has('registration') && state !== 'registered') reasons.push(messages.healthRegistrationMissing(input.serviceKey, state));
  }
  const watches = status.watches.map((w) => ({
    prefix: w.prefix,
    live: w.live,
    revision: w.revision,
    staleForMs: w.live || w.staleSince === undefined ? undefined : Math.max(0, now - w.staleSince),
  }));
  if (on.has('watches')) for (const w of watches) if (!w.live) reasons.push(messages.healthWatchStale(w.prefix, w.staleForMs));
  return {
    healthy: reasons.length === 0,
    reasons,
    etcd,
    lease: status.lease
      ? { id: status.lease.id, ttlSeconds: status.lease.ttlSeconds, lastKeepAliveAt: status.lease.lastKeepAliveAt }
      : null,
    registration,
    draining: input.draining,
    watches,
  };
}
