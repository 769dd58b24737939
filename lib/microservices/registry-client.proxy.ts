import { Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { ClientProxy, ClientProxyFactory, ReadPacket, Transport, WritePacket } from '@nestjs/microservices';
import { connectable, Observable, Subject, Subscriber } from 'rxjs';
import type { BalancedInstance } from '../core/balancing/balanced-instance';
import { AttemptTimeoutError, CallDeadlineError } from '../core/balancing/balancing.errors';
import { attemptBudgetMs, resolveCallDeadlines, ResolvedCallDeadlines } from '../core/balancing/call-deadlines';
import { LoadBalancer, LoadBalancerStatus } from '../core/balancing/load-balancer';
import { balancingMessages } from '../core/balancing/messages';
import { endpointAddressing } from '../core/balancing/transport-address';
import { Deadline, DeadlineQueue } from '../core/deadline-queue';
import { RegistryOptionsError } from '../core/errors';
import type { RegistryService } from '../service/registry.service';
import { clientFailureKind, resolveClientRetry, ResolvedClientRetry } from './client-retry';
import { clientMessages } from './messages';
import type { RegistryClientOptions } from './registry-client-options.interface';

/** A `tcp://host:port` endpoint, else the address of a plain host:port instance. */
export const TCP_ADDRESSING = endpointAddressing('tcp', ['tcp']);

/** Marks an attempt past its deadline. */
const ATTEMPT_TIMED_OUT = Symbol('attempt timed out');
/** What a failed attempt turns into when the call goes on with another attempt. */
const AGAIN = Symbol('another attempt');

/**
 * A ClientProxy of a service by name: each `send` / `emit` goes to a picked live instance, over
 * one TCP client per instance (connected on first use, closed when the instance leaves, or when it
 * drains once its calls in flight settled). Each attempt has a deadline (`attemptTimeoutMs`) and
 * the call one of its own (`deadlineMs`). A call whose connection was refused goes to another
 * instance; one that may have reached the instance (its connection dropped, or it passed its
 * deadline) goes again only for idempotent patterns (`retry.idempotent`). Errors the instance
 * answers (RpcException) are returned as they are, unless `retry.errors` says to retry them; those
 * that `failures.errors` names (Nest's "Internal server error" by default) count against the
 * instance, as do attempts past their deadline and calls the caller unsubscribed from.
 */
export class RegistryClientProxy extends ClientProxy implements OnModuleInit, OnModuleDestroy {
  private readonly clients = new Map<string, { address: string; client: ClientProxy }>();
  private readonly logger = new Logger('RegistryClients');
  /** The attempts' deadlines, on one timer (they share attemptTimeoutMs, so they come due in order). */
  private readonly attemptDeadlines = new DeadlineQueue();

  constructor(
    readonly service: string,
    /** The balancer behind the calls, fed by a watch of the services' prefix from onModuleInit. */
    readonly loadBalancer: LoadBalancer,
    private readonly retry: ResolvedClientRetry,
    private readonly clientOptions: RegistryClientOptions['options'],
    private readonly registry: RegistryService | undefined,
    private readonly deadlines: ResolvedCallDeadlines = resolveCallDeadlines(),
  ) {
    super();
    loadBalancer.events.on('instance-left', (e) => {
      // After the current call's own callbacks (a drained instance leaves inside its last call's answer).
      const known = this.clients.get(e.key);
      if (known) setImmediate(() => this.clients.get(e.key) === known && this.drop(e.key));
    });
    loadBalancer.events.on('instance-ejected', (e) =>
      this.logger.warn(`ejected ${e.key} (${e.address}) for ${e.forMs} ms after ${e.failures} failed calls`),
    );
    loadBalancer.events.on('instance-restored', (e) => this.logger.log(`${e.key} (${e.address}) is back (${e.reason})`));
  }

  /** Validates `options` (a bad one fails the start) and builds the proxy. */
  static create(options: RegistryClientOptions, registry: RegistryService | undefined): RegistryClientProxy {
    const name = String(options.name);
    if (options.transport !== undefined && options.transport !== Transport.TCP) {
      throw new RegistryOptionsError('transport', clientMessages.transport(name, options.transport));
    }
    if (typeof options.service !== 'string' || options.service.length === 0)
      throw new RegistryOptionsError('service', clientMessages.service(name, options.service));
    const balancer = new LoadBalancer({ ...options, transport: TCP_ADDRESSING });
    return new RegistryClientProxy(
      options.service,
      balancer,
      resolveClientRetry(options.retry, options.failures),
      options.options,
      registry,
      resolveCallDeadlines(options),
    );
  }

  async onModuleInit(): Promise<void> {
    if (!this.registry) throw new RegistryOptionsError('EtcdRegistryModule', clientMessages.noRegistry());
    await this.loadBalancer.follow(this.registry);
  }

  async onModuleDestroy(): Promise<void> {
    await this.close();
  }

  /** Nothing to do up front: each instance's client connects on its first call. */
  async connect(): Promise<void> {}

  /** Closes every instance's connection and stops the watch. */
  async close(): Promise<void> {
    for (const key of [...this.clients.keys()]) this.drop(key);
    await this.loadBalancer.close();
  }

  /**
   * The balancer's status (instances, in flight, ejected until when), plus the open connections
   * (one per instance called). (`status` is ClientProxy's connection-status Observable.)
   */
  balancerStatus(): LoadBalancerStatus & { connections: number } {
    return { ...this.loadBalancer.status(), connections: this.clients.size };
  }

  /** `instance-ejected`, `instance-restored`, `instance-left` (see BalancerEventMap). */
  get events(): LoadBalancer['events'] {
    return this.loadBalancer.events;
  }

  unwrap<T>(): T {
    return this.clients as T;
  }

  override send<TResult = unknown, TInput = unknown>(pattern: unknown, data: TInput): Observable<TResult> {
    return new Observable<TResult>((subscriber) => this.attempt('send', pattern, data, new Set(), Date.now(), 1, subscriber));
  }

  /** Sent at once, as Nest's clients do (hot); retried elsewhere only when the connection was refused. */
  override emit<TResult = unknown, TInput = unknown>(pattern: unknown, data: TInput): Observable<TResult> {
    const source = connectable(
      new Observable<TResult>((subscriber) => this.attempt('emit', pattern, data, new Set(), Date.now(), 1, subscriber)),
      {
        connector: () => new Subject<TResult>(),
        resetOnDisconnect: false,
      },
    );
    source.connect();
    return source;
  }

  /**
   * Attempt `n` of a call, its outcome delivered to the caller's `subscriber`: the answer, the error
   * the caller sees, or the next attempt, started on the same subscriber (whose unsubscribe tears
   * every attempt down). Written as one function with few closures rather than an Observable per
   * attempt behind a `defer`: the same outcomes, retries and deadlines, with less allocated per call
   * (bench/overhead-micro.ts).
   */
  private attempt<T>(
    kind: 'send' | 'emit',
    pattern: unknown,
    data: unknown,
    tried: Set<string>,
    began: number,
    n: number,
    subscriber: Subscriber<T>,
  ): void {
    const budget = attemptBudgetMs(this.deadlines, began, Date.now());
    if (budget <= 0) return subscriber.error(this.deadlineError(tried));
    let target: BalancedInstance;
    try {
      target = this.loadBalancer.pick(this.service, tried);
    } catch (e) {
      return subscriber.error(e);
    }
    tried.add(target.key);
    const client = this.clientFor(target);
    const t0 = Date.now();
    let settled = false;
    let emitted = false;
    // Once per attempt: an answer ({ ok: true }), a failure ({ ok: false }), or a failure the instance answered.
    const settle = (ok: boolean, answered: boolean) => {
      if (settled) return;
      settled = true;
      const latencyMs = Date.now() - t0;
      this.loadBalancer.finished(target, answered ? { ok: false, answered: true, latencyMs } : { ok, latencyMs });
    };
    const idempotent = kind === 'send' && this.retry.idempotent(pattern);
    // What a failed attempt (an error, or ATTEMPT_TIMED_OUT) turns into: another attempt, or the error the caller sees.
    const afterFailure = (error: unknown): unknown => {
      const canRetry = () =>
        n < this.retry.attempts && Date.now() - began < this.retry.budgetMs && attemptBudgetMs(this.deadlines, began, Date.now()) > 0;
      if (error === ATTEMPT_TIMED_OUT) {
        settle(false, false);
        if (idempotent && canRetry()) return AGAIN;
        if (attemptBudgetMs(this.deadlines, began, Date.now()) <= 0) return this.deadlineError(tried);
        const why =
          kind === 'emit'
            ? clientMessages.emitNotRetried()
            : idempotent
              ? clientMessages.noRetryLeft()
              : clientMessages.notIdempotent(pattern);
        return new AttemptTimeoutError(
          this.service,
          target.key,
          target.address,
          budget,
          balancingMessages.attemptTimeout(this.service, target.key, target.address, budget, why),
        );
      }
      const failure = clientFailureKind(error);
      if (failure === 'answered') {
        const counted = this.retry.failureError(error, pattern);
        settle(!counted, counted);
        if (!emitted && idempotent && this.retry.retryError(error, pattern) && canRetry()) return AGAIN;
        return error;
      }
      settle(false, false);
      const safe = failure === 'not-sent' || (failure === 'maybe-sent' && idempotent);
      if (!safe || emitted || !canRetry()) return error;
      return AGAIN;
    };
    let deadline: Deadline | undefined;
    const recover = (error: unknown) => {
      deadline?.cancel();
      try {
        const outcome = afterFailure(error);
        if (outcome === AGAIN) this.attempt(kind, pattern, data, tried, began, n + 1, subscriber);
        else subscriber.error(outcome);
      } catch (e) {
        subscriber.error(e);
      }
    };
    this.loadBalancer.started(target);
    const call$ = kind === 'send' ? client.send<T>(pattern, data) : client.emit<T>(pattern, data);
    const source = call$.subscribe({
      next: (value) => {
        // Only the first answer has a deadline (as timeout({ first })).
        deadline?.cancel();
        emitted = true;
        settle(true, false);
        subscriber.next(value);
      },
      error: recover,
      complete: () => {
        deadline?.cancel();
        settle(true, false);
        subscriber.complete();
      },
    });
    if (!source.closed && !emitted && Number.isFinite(budget)) {
      deadline = this.attemptDeadlines.add(budget, () => {
        // Past the attempt's deadline: abandoned (a failure of the instance), then retried or failed.
        source.unsubscribe();
        settle(false, false);
        recover(ATTEMPT_TIMED_OUT);
      });
    }
    subscriber.add(() => {
      deadline?.cancel();
      source.unsubscribe();
      // Unsubscribed before an answer: the caller gave up (its own timeout): a failure.
      settle(false, false);
    });
  }

  private deadlineError(tried: Set<string>): CallDeadlineError {
    const ms = this.deadlines.deadlineMs;
    return new CallDeadlineError(this.service, ms, [...tried], balancingMessages.callDeadline(this.service, ms, [...tried]));
  }

  private clientFor(target: BalancedInstance): ClientProxy {
    const known = this.clients.get(target.key);
    if (known && known.address === target.address) return known.client;
    if (known) this.drop(target.key);
    const [host, port] = splitHostPort(target.address);
    const client = ClientProxyFactory.create({ transport: Transport.TCP, options: { ...this.clientOptions, host, port } });
    this.clients.set(target.key, { address: target.address, client });
    return client;
  }

  private drop(key: string): void {
    const known = this.clients.get(key);
    if (!known) return;
    this.clients.delete(key);
    try {
      void Promise.resolve(known.client.close()).catch(() => undefined);
    } catch {
      /* already closed */
    }
  }

  // Never called: send and emit are overridden to pick an instance per call.
  protected publish(_packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    callback({ err: new Error('RegistryClientProxy.publish is not used') });
    return () => undefined;
  }

  protected async dispatchEvent<T = unknown>(): Promise<T> {
    throw new Error('RegistryClientProxy.dispatchEvent is not used');
  }
}

function splitHostPort(address: string): [string, number] {
  const colon = address.lastIndexOf(':');
  return [address.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), Number(address.slice(colon + 1))];
}
