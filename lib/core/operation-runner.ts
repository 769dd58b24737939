import type { CallOptions } from '@grpc/grpc-js';
import { attemptMsFor, callOptionsUntil } from './call-deadline';
import { TimeoutError, monotonicNow } from './deadline';
import type { HostSelection } from './etcd/host-order';
import { RegistryClosedError, RegistryUnavailableError } from './errors';
import { causeOf, ErrorKindOf, finalErrorOf, mayBeTlsMismatch } from './final-error';
import { GRPC_DEADLINE_EXCEEDED, OWN_DEADLINE } from './etcd/own-ends';
import { messages } from './messages';
import { ResolvedRegistryOptions } from './options';
import { TlsMismatchProbe } from './etcd/tls-probe';

const TLS_PROBE_MS = 1000;
/** How long past its own deadline an attempt may run before another starts next to it. */
const HEDGE_GRACE_MS = 100;

/** What an operation is, for its error messages: a string, or a function making it (only on error). */
export type OperationName = string | (() => string);

const nameOf = (what: OperationName): string => (typeof what === 'function' ? what() : what);

/** An attempt's call ended by the deadline the attempt gave it (etcd3's, marked by the interceptor; or gRPC's own status). */
const endedByOwnDeadline = (error: unknown): boolean =>
  error instanceof Error && (error.message.includes(OWN_DEADLINE) || (error as { code?: unknown }).code === GRPC_DEADLINE_EXCEEDED);

/**
 * Runs one etcd operation within a deadline: transient failures (etcd unreachable, leader
 * election) are retried with a short backoff until the deadline; final ones (auth, permission,
 * etcd's refusals, TLS) reject at once with a clear RegistryError.
 *
 * Every etcd call an attempt makes passes the call options the attempt is given. While another
 * member can take the next attempt (the client's HostSelection says so), they carry a short
 * deadline (`attemptTimeoutMs`, at most a third of the budget): a member that does not answer in
 * time (hung, or a follower whose leader just died) costs one short attempt, the selection avoids
 * it, and the next attempt starts at once on another member.
 *
 * With no other usable member (one left, every member avoided during an election, or no
 * selection: a client handed in), an attempt is not cut: its calls may take the whole remaining
 * budget, so on a slow link a call that fits the budget succeeds. But past `attemptTimeoutMs`
 * another attempt starts next to it, and the first answer wins: etcd 3.4 drops a write a member
 * proposed while it had no leader and answers it only at its own request timeout, so the write
 * must be sent again once a leader is up. The wait before the next one doubles with each attempt
 * still running (attemptTimeoutMs, 2x, 4x...), so a slow link gets few duplicates.
 *
 * An attempt still running past its time (a call that does not pass its options) is not given up
 * either: a second one starts next to it. An attempt refused at once (a dead member) while others
 * run is followed, after the short backoff, by another one (to another member) rather than
 * waiting on the running ones' timers. No attempt starts once the budget is spent (it could only
 * fail, hiding the last real cause).
 */
export class OperationRunner {
  private closed = false;
  private readonly tlsProbe?: TlsMismatchProbe;
  /** The errors unavailable() made: the budget ran out (as opposed to a diagnosis). */
  private readonly budgetErrors = new WeakSet<Error>();

  /**
   * `hosts`: the client's member selection (undefined: a client handed in, without one);
   * `errorKind`: how the client's errors tell their kind (etcd3ErrorKind for etcd3).
   */
  constructor(
    private readonly options: ResolvedRegistryOptions,
    private readonly hosts: HostSelection | undefined,
    private readonly errorKind: ErrorKindOf,
  ) {
    const plaintext = options.tls === undefined && options.hosts.every((h) => h.startsWith('http://'));
    if (plaintext) this.tlsProbe = new TlsMismatchProbe(options.endpoints);
  }

  /** A deadline timeoutMs from now, on the monotonic clock (monotonicNow). */
  deadline(): number {
    return monotonicNow() + this.options.timeoutMs;
  }

  close(): void {
    this.closed = true;
  }

  /** Wraps a final error for `what`, or undefined for a transient one. */
  classify(error: unknown, what: OperationName): Error | undefined {
    if (this.tlsProbe?.detected && mayBeTlsMismatch(error)) return this.tlsMismatch(error);
    return finalErrorOf(error, { endpoints: this.options.endpoints, username: this.options.username, what: nameOf(what) }, this.errorKind);
  }

  /** "etcd did not answer `what` within `budgetMs`" (default: timeoutMs, the budget of an operation). */
  unavailable(what: OperationName, cause?: unknown, budgetMs = this.options.timeoutMs): RegistryUnavailableError {
    const error = new RegistryUnavailableError(
      messages.unavailable(this.options.endpoints, budgetMs, nameOf(what), cause === undefined ? undefined : causeOf(cause)),
      { cause },
    );
    this.budgetErrors.add(error);
    return error;
  }

  /**
   * `error` as the error of another operation (`what`) that failed with it: "etcd did not answer
   * ... within timeoutMs" is said again naming `what`; any other error (a diagnosis such as the
   * TLS hint, a refusal) is the same for every operation and is handed on as it is.
   */
  forOperation(error: unknown, what: string): unknown {
    if (!(error instanceof RegistryUnavailableError) || !this.budgetErrors.has(error)) return error;
    return this.unavailable(what, (error as { cause?: unknown }).cause);
  }

  /**
   * Runs `attempt` until it succeeds, fails for good, or the deadline passes; each attempt is given
   * the call options its etcd calls pass (the deadline). `leftInFlight` is
   * called when the operation ends while an attempt it started is still running (a write that
   * may still land).
   */
  run<T>(what: OperationName, deadline: number, attempt: (call: CallOptions) => Promise<T>, leftInFlight?: () => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const started = monotonicNow();
      const budgetMs = Math.max(0, Math.round(deadline - started));
      const attemptMs = attemptMsFor(this.options.attemptTimeoutMs, budgetMs);
      let inFlight = 0;
      let settled = false;
      let lastError: unknown;
      let pause = 50;
      let retryTimer: NodeJS.Timeout | undefined;
      let nextAttemptTimer: NodeJS.Timeout | undefined;
      let firstHedgeMs = attemptMs;

      const finish = (settle: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(retryTimer);
        clearTimeout(nextAttemptTimer);
        clearTimeout(deadlineTimer);
        if (inFlight > 0) leftInFlight?.();
        settle();
      };
      const fail = (error: Error) => finish(() => reject(error));
      const timeUp = () => fail(this.unavailable(what, lastError ?? new TimeoutError(budgetMs), budgetMs));

      const launch = (first = false) => {
        if (settled) return;
        if (this.closed) return fail(new RegistryClosedError(messages.closed()));
        const now = monotonicNow();
        // No attempt with nothing left of the budget (it could only fail, hiding the last real cause).
        if (now >= deadline) return timeUp();
        // While another member can take the next attempt, an attempt's calls end at attemptMs and
        // the next one goes elsewhere. With none, an attempt is not cut (its calls may take the
        // whole remaining budget: a slow link), but past attemptMs another one starts next to it,
        // and the first answer wins: a write that a member dropped while it had no leader is sent
        // again. Each attempt still running doubles that wait, so a slow link gets few of them.
        const alone = this.hosts?.hasAlternative() !== true;
        const ownMs = alone ? attemptMs * 2 ** Math.min(inFlight, 16) : attemptMs;
        const short = !alone && now + ownMs < deadline;
        const callEnd = short ? now + ownMs : deadline;
        inFlight++;
        clearTimeout(nextAttemptTimer);
        // Past its time (plus a grace for a short one: its own deadline ends it first, and the
        // selection learns of the stalled member before the next attempt picks one), an attempt
        // still running gets another next to it. The first attempt's timer is armed after its
        // request has left (see arm).
        const hedgeMs = short ? ownMs + HEDGE_GRACE_MS : ownMs;
        if (first) firstHedgeMs = hedgeMs;
        else nextAttemptTimer = setTimeout(launch, hedgeMs);
        let call: Promise<T>;
        try {
          call = attempt(callOptionsUntil(callEnd));
        } catch (error) {
          call = Promise.reject(error);
        }
        call.then(
          (value) => {
            inFlight--;
            finish(() => resolve(value));
          },
          (error: unknown) => {
            inFlight--;
            failed(error, callEnd);
          },
        );
      };

      const failed = (error: unknown, callEnd: number) => {
        if (settled) return;
        const final = this.classify(error, what);
        if (final) return fail(final);
        // The cause the final "did not answer" names: an attempt cut by its own deadline (often the
        // last one, started with little budget left) says less than an earlier refused connection.
        if (lastError === undefined || !endedByOwnDeadline(error) || endedByOwnDeadline(lastError)) lastError = error;
        if (this.tlsProbe && mayBeTlsMismatch(error)) {
          const probeMs = Math.min(TLS_PROBE_MS, Math.max(0, deadline - monotonicNow()));
          void this.tlsProbe.check(probeMs).then((tls) => tls && fail(this.tlsMismatch(error)));
        }
        const now = monotonicNow();
        const left = deadline - now;
        if (left <= 0) return timeUp();
        const ownDeadline = now >= callEnd - 1;
        // A backoff that would end past the deadline: the deadline timer ends the operation.
        const wait = pause * (0.5 + Math.random() / 2);
        if (!ownDeadline) pause = Math.min(pause * 2, 500);
        if (inFlight > 0) {
          // An attempt still running may yet succeed; its own timer starts the next one. This one
          // was refused (not stalled): the next goes out after the backoff, to another member.
          if (!ownDeadline && wait < left) {
            clearTimeout(nextAttemptTimer);
            nextAttemptTimer = setTimeout(launch, wait);
          }
          return;
        }
        clearTimeout(nextAttemptTimer);
        // Ended by its own short deadline: that member stalled and is avoided now; the next
        // attempt goes to another one at once. Any other failure waits a short backoff.
        if (ownDeadline) return launch();
        if (wait < left) retryTimer = setTimeout(launch, wait);
      };

      // The timers are armed in the next check phase, after Node has written the first attempt's
      // request: a request leaves the process only once the synchronous work queued before it is
      // done, and two timers cost microseconds on a process that was idle. An attempt that settles
      // the operation before then leaves arm nothing to do; one that fails before then has its retry
      // on a timer (or, ended by its own deadline, was launched again), which cannot have fired
      // before this check phase.
      let deadlineTimer: NodeJS.Timeout | undefined;
      const arm = () => {
        if (settled) return;
        const now = monotonicNow();
        deadlineTimer = setTimeout(timeUp, Math.max(0, deadline - now));
        if (inFlight > 0 && nextAttemptTimer === undefined)
          nextAttemptTimer = setTimeout(launch, Math.max(0, firstHedgeMs - (now - started)));
      };
      if (this.closed) return fail(new RegistryClosedError(messages.closed()));
      if (budgetMs <= 0) return timeUp();
      launch(true);
      if (!settled) setImmediate(arm);
    });
  }

  private tlsMismatch(cause: unknown): RegistryUnavailableError {
    return new RegistryUnavailableError(messages.plaintextToTls(this.options.endpoints), { cause });
  }
}
