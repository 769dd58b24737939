import { monotonicNow } from '../deadline';

// Which member a call goes to, free of etcd3: the full client's patch (host-selection.ts) and the
// lean reader (lean-range.ts, prefix-reader.ts) both order members with it.

/** How long a member that stalled or failed is avoided: doubled per failure in a row, up to the max. */
export const AVOID_MIN_MS = 2000;
export const AVOID_MAX_MS = 30_000;

interface HostState {
  avoidUntil: number;
  /** Failures in a row (reset when the last one is older than AVOID_MAX_MS, or on an answer). */
  failures: number;
  /** When the last counted failure (the one that set avoidUntil) happened. */
  lastFailureAt: number;
  /** When a call to it last failed, counted or not (every member avoided: the one that failed longest ago goes first). */
  lastFailedCallAt: number;
}

/**
 * Which etcd member a call goes to. A member that failed a call at the host level (its connection
 * refused or dropped, no leader, or no answer before the call's own deadline: a hung member) is
 * avoided for a while: calls go to the others first, and to it only when every member is avoided.
 * Then the one whose last failed call is the oldest goes first: during an election every member
 * can fail a call at once (the dead one refuses, followers without a leader do not answer), and a
 * member that keeps refusing at once goes to the back after each refusal instead of taking every
 * attempt. The operation runner asks `hasAlternative()` to decide whether an attempt gets a short
 * deadline (another member can take the next attempt) or the whole remaining budget with another
 * attempt started next to it past its time (nowhere else to go: a slow but working link must not
 * be cut).
 */
export class HostSelection {
  private readonly state = new Map<string, HostState>();

  constructor(
    readonly names: readonly string[],
    private readonly random: () => number = Math.random,
    private readonly now: () => number = monotonicNow,
  ) {}

  /** `hosts` in the order to try them: usable ones shuffled (as etcd3 spreads calls), then avoided ones, longest since a failed call first. */
  ordered<T>(hosts: readonly T[], nameOf: (host: T) => string, preferred?: T): T[] {
    const now = this.now();
    const usable: T[] = [];
    const avoided: { host: T; failedAt: number }[] = [];
    for (const host of hosts) {
      const s = this.state.get(nameOf(host));
      if (s !== undefined && s.avoidUntil > now) avoided.push({ host, failedAt: s.lastFailedCallAt });
      else usable.push(host);
    }
    for (let i = usable.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [usable[i], usable[j]] = [usable[j], usable[i]];
    }
    if (preferred !== undefined) {
      const at = usable.indexOf(preferred);
      if (at > 0) usable.unshift(...usable.splice(at, 1));
    }
    avoided.sort((a, b) => a.failedAt - b.failedAt);
    return [...usable, ...avoided.map((a) => a.host)];
  }

  /** True when at least two members are usable now: an attempt that stalls on one can go to another. */
  hasAlternative(): boolean {
    const now = this.now();
    let usable = 0;
    for (const name of this.names) if ((this.state.get(name)?.avoidUntil ?? 0) <= now && ++usable >= 2) return true;
    return false;
  }

  /** True while `name` is avoided. */
  isAvoided(name: string): boolean {
    return (this.state.get(name)?.avoidUntil ?? 0) > this.now();
  }

  /** `name` failed a call at the host level: avoid it (longer when it keeps failing). */
  failed(name: string): void {
    const now = this.now();
    const s = this.state.get(name) ?? { avoidUntil: 0, failures: 0, lastFailureAt: -Infinity, lastFailedCallAt: -Infinity };
    s.lastFailedCallAt = now;
    this.state.set(name, s);
    // A failure while still avoided (calls sent before it was marked, or while every member was
    // avoided) does not lengthen the wait; it only sends the member to the back of the avoided ones.
    if (s.avoidUntil > now) return;
    s.failures = now - s.lastFailureAt > AVOID_MAX_MS ? 1 : s.failures + 1;
    s.lastFailureAt = now;
    s.avoidUntil = now + Math.min(AVOID_MAX_MS, AVOID_MIN_MS * 2 ** (s.failures - 1));
  }

  /** `name` answered a unary call: it is usable at once and its failure count starts over. */
  answered(name: string): void {
    if (this.state.has(name)) this.state.delete(name);
  }
}

/** etcd3's host names: the endpoint without its scheme (its removeProtocolPrefix). */
export function hostName(endpoint: string): string {
  return endpoint.replace(/^https?:\/\//, '');
}
