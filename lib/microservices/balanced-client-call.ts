import type { ClientProxy } from '@nestjs/microservices';
import type { Observer, Subscriber, Unsubscribable } from 'rxjs';
import type { BalancedInstance } from '../core/balancing/balanced-instance';
import { AttemptTimeoutError, CallDeadlineError } from '../core/balancing/balancing.errors';
import { attemptBudgetMs, ResolvedCallDeadlines } from '../core/balancing/call-deadlines';
import type { LoadBalancer } from '../core/balancing/load-balancer';
import { balancingMessages } from '../core/balancing/messages';
import { monotonicNow } from '../core/deadline';
import type { Deadline, DeadlineQueue } from '../core/deadline-queue';
import { clientFailureKind, ResolvedClientRetry } from './client-retry';
import type { DirectSend, DirectTcpSender } from './client-tcp-internals';
import { clientMessages } from './messages';

/** What every call of one RegistryClientProxy shares. */
export interface ClientCallShared {
  service: string;
  loadBalancer: LoadBalancer;
  retry: ResolvedClientRetry;
  deadlines: ResolvedCallDeadlines;
  /** The attempts' deadlines, on one timer (they share attemptTimeoutMs, so they come due in order). */
  attemptDeadlines: DeadlineQueue;
  /** The instance's connection (made on first use). */
  clientFor(target: BalancedInstance): InstanceClient;
}

/** One instance's client, and the direct path of its sends when it has one (client-tcp-internals.ts). */
export interface InstanceClient {
  address: string;
  client: ClientProxy;
  direct?: DirectTcpSender | undefined;
}

/** Marks an attempt past its deadline. */
const ATTEMPT_TIMED_OUT = Symbol('attempt timed out');
/** What a failed attempt turns into when the call goes on with another attempt. */
const AGAIN = Symbol('another attempt');

/**
 * One `send` or `emit` of a RegistryClientProxy, its attempts included, delivered to the caller's
 * `subscriber`: the answer, the error the caller sees, or the next attempt, one after the other.
 *
 * One object per call: it is the observer of each attempt (rxjs calls its `next`, `error` and
 * `complete` as methods, as does a direct send on a connected ClientTCP, client-tcp-internals.ts)
 * and the caller's teardown (its `unsubscribe`, added once), so a call allocates no closure of its
 * own but the deadline's; the tried set is made on the first retry only. The outcomes, retries and deadlines are those the proxy documents (bench/overhead-micro.ts
 * measures what the wrapper costs per call).
 */
export class BalancedClientCall<T> implements Observer<T>, Unsubscribable {
  private readonly began = monotonicNow();
  private readonly idempotent: boolean;
  /** Keys tried before the current attempt's; made on the first retry. */
  private tried: Set<string> | undefined;
  /** The current attempt: its number, instance, start, budget, subscription and deadline. */
  private n = 0;
  private target: BalancedInstance | undefined;
  private t0 = 0;
  private budget = 0;
  private source: DirectSend | undefined;
  private deadline: Deadline | undefined;
  /** Whether the current attempt's outcome went to the balancer. */
  private settled = true;
  /** Whether the current attempt answered (a later failure of it is never retried). */
  private emitted = false;
  private onDeadline: (() => void) | undefined;

  constructor(
    private readonly shared: ClientCallShared,
    private readonly kind: 'send' | 'emit',
    private readonly pattern: unknown,
    private readonly data: unknown,
    private readonly subscriber: Subscriber<T>,
  ) {
    this.idempotent = kind === 'send' && shared.retry.idempotent(pattern);
  }

  /** Runs in the Observable's subscribe function. */
  start(): void {
    this.subscriber.add(this);
    this.attempt();
  }

  /** Attempt `n + 1`. A throw (a pick that finds no instance, a bad client option) fails the call. */
  private attempt(): void {
    const shared = this.shared;
    const now = this.n === 0 ? this.began : monotonicNow();
    const budget = attemptBudgetMs(shared.deadlines, this.began, now);
    if (budget <= 0) return this.subscriber.error(this.deadlineError());
    const previous = this.target;
    if (previous) (this.tried ??= new Set()).add(previous.key);
    let target: BalancedInstance;
    try {
      target = shared.loadBalancer.pick(shared.service, this.tried);
    } catch (e) {
      return this.subscriber.error(e);
    }
    this.target = target;
    const { client, direct } = shared.clientFor(target);
    const n = ++this.n;
    this.t0 = now;
    this.budget = budget;
    this.settled = false;
    this.emitted = false;
    this.source = undefined;
    this.deadline = undefined;
    shared.loadBalancer.started(target);
    let source: DirectSend;
    try {
      if (this.kind === 'emit') source = client.emit<T>(this.pattern, this.data).subscribe(this);
      // Connected: published on that connection as send would (client-tcp-internals.ts). A missing
      // pattern or data goes through send, which fails it.
      else if (direct?.ready() && this.pattern != null && this.data != null) source = direct.send(this.pattern, this.data, this);
      else {
        source = client.send<T>(this.pattern, this.data).subscribe(this);
        direct?.watch();
      }
    } catch (error) {
      // Thrown, not delivered: the attempt failed with it, as with an error.
      if (n === this.n) this.recover(error);
      return;
    }
    // The attempt may have ended inside subscribe (a synchronous answer or error), and a retry begun.
    if (n !== this.n) return;
    if (this.subscriber.closed) return source.unsubscribe();
    this.source = source;
    if (!source.closed && !this.emitted && Number.isFinite(budget))
      this.deadline = shared.attemptDeadlines.add(budget, (this.onDeadline ??= () => this.timedOut()), now);
  }

  /** The attempt's answer. Only the first answer has a deadline (as timeout({ first })). */
  next(value: T): void {
    this.cancelDeadline();
    this.emitted = true;
    this.settle(true, false);
    this.subscriber.next(value);
  }

  error(error: unknown): void {
    this.recover(error);
  }

  complete(): void {
    this.cancelDeadline();
    this.settle(true, false);
    this.subscriber.complete();
  }

  /** The caller's teardown (it unsubscribed, or the call ended): before an answer, the caller gave up (its own timeout), a failure. */
  unsubscribe(): void {
    this.cancelDeadline();
    const source = this.source;
    this.source = undefined;
    source?.unsubscribe();
    this.settle(false, false);
  }

  /** Past the attempt's deadline: abandoned (a failure of the instance), then retried or failed. */
  private timedOut(): void {
    this.deadline = undefined;
    const source = this.source;
    this.source = undefined;
    source?.unsubscribe();
    this.settle(false, false);
    this.recover(ATTEMPT_TIMED_OUT);
  }

  private recover(error: unknown): void {
    this.cancelDeadline();
    try {
      const outcome = this.afterFailure(error);
      if (outcome === AGAIN) this.attempt();
      else this.subscriber.error(outcome);
    } catch (e) {
      this.subscriber.error(e);
    }
  }

  /** What a failed attempt (an error, or ATTEMPT_TIMED_OUT) turns into: another attempt, or the error the caller sees. */
  private afterFailure(error: unknown): unknown {
    const { retry } = this.shared;
    if (error === ATTEMPT_TIMED_OUT) {
      this.settle(false, false);
      if (this.idempotent && this.canRetry()) return AGAIN;
      if (attemptBudgetMs(this.shared.deadlines, this.began, monotonicNow()) <= 0) return this.deadlineError();
      const { service } = this.shared;
      const target = this.target!;
      const why =
        this.kind === 'emit'
          ? clientMessages.emitNotRetried()
          : this.idempotent
            ? clientMessages.noRetryLeft()
            : clientMessages.notIdempotent(this.pattern);
      return new AttemptTimeoutError(
        service,
        target.key,
        target.address,
        this.budget,
        balancingMessages.attemptTimeout(service, target.key, target.address, this.budget, why),
      );
    }
    const failure = clientFailureKind(error);
    if (failure === 'answered') {
      const counted = retry.failureError(error, this.pattern);
      this.settle(!counted, counted);
      if (!this.emitted && this.idempotent && retry.retryError(error, this.pattern) && this.canRetry()) return AGAIN;
      return error;
    }
    this.settle(false, false);
    const safe = failure === 'not-sent' || (failure === 'maybe-sent' && this.idempotent);
    if (!safe || this.emitted || !this.canRetry()) return error;
    return AGAIN;
  }

  /** Once per attempt: an answer (ok), a failure, or a failure the instance answered. */
  private settle(ok: boolean, answered: boolean): void {
    if (this.settled) return;
    this.settled = true;
    const latencyMs = monotonicNow() - this.t0;
    this.shared.loadBalancer.finished(this.target!, answered ? { ok: false, answered: true, latencyMs } : { ok, latencyMs });
  }

  private cancelDeadline(): void {
    const deadline = this.deadline;
    if (!deadline) return;
    this.deadline = undefined;
    deadline.cancel();
  }

  private canRetry(): boolean {
    const { retry, deadlines } = this.shared;
    const now = monotonicNow();
    return this.n < retry.attempts && now - this.began < retry.budgetMs && attemptBudgetMs(deadlines, this.began, now) > 0;
  }

  /** The call's deadline passed: every instance tried so far, the current one included. */
  private deadlineError(): CallDeadlineError {
    const tried = this.tried ? [...this.tried] : [];
    if (this.target && !this.tried?.has(this.target.key)) tried.push(this.target.key);
    const { service, deadlines } = this.shared;
    return new CallDeadlineError(
      service,
      deadlines.deadlineMs,
      tried,
      balancingMessages.callDeadline(service, deadlines.deadlineMs, tried),
    );
  }
}
