import { Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { ClientProxy, ClientProxyFactory, ReadPacket, Transport, WritePacket } from '@nestjs/microservices';
import { connectable, Observable, Subject } from 'rxjs';
import type { BalancedInstance } from '../core/balancing/balanced-instance';
import { resolveCallDeadlines, ResolvedCallDeadlines } from '../core/balancing/call-deadlines';
import { LoadBalancer, LoadBalancerStatus } from '../core/balancing/load-balancer';
import { endpointAddressing } from '../core/balancing/transport-address';
import { DeadlineQueue } from '../core/deadline-queue';
import { RegistryOptionsError } from '../core/errors';
import type { RegistryService } from '../service/registry.service';
import { BalancedClientCall, ClientCallShared, InstanceClient } from './balanced-client-call';
import { resolveClientRetry, ResolvedClientRetry } from './client-retry';
import { DirectTcpSender } from './client-tcp-internals';
import { clientMessages } from './messages';
import type { RegistryClientOptions } from './registry-client-options.interface';

/** A `tcp://host:port` endpoint, else the address of a plain host:port instance. */
export const TCP_ADDRESSING = endpointAddressing('tcp', ['tcp']);

/**
 * A ClientProxy of a service by name: each `send` / `emit` goes to a picked live instance, over
 * one TCP client per instance (connected on first use, closed when the instance leaves, or when it
 * drains once its calls in flight settled; once connected, a `send` is published directly on that
 * connection, see client-tcp-internals.ts). Each attempt has a deadline (`attemptTimeoutMs`) and
 * the call one of its own (`deadlineMs`). A call whose connection was refused goes to another
 * instance; one that may have reached the instance (its connection dropped, or it passed its
 * deadline) goes again only for idempotent patterns (`retry.idempotent`). Errors the instance
 * answers (RpcException) are returned as they are, unless `retry.errors` says to retry them; those
 * that `failures.errors` names (Nest's "Internal server error" by default) count against the
 * instance, as do attempts past their deadline and calls the caller unsubscribed from.
 */
export class RegistryClientProxy extends ClientProxy implements OnModuleInit, OnModuleDestroy {
  private readonly clients = new Map<string, InstanceClient>();
  private readonly logger = new Logger('RegistryClients');
  /** What every call shares (see BalancedClientCall). */
  private readonly shared: ClientCallShared;

  constructor(
    readonly service: string,
    /** The balancer behind the calls, fed by a watch of the services' prefix from onModuleInit. */
    readonly loadBalancer: LoadBalancer,
    retry: ResolvedClientRetry,
    private readonly clientOptions: RegistryClientOptions['options'],
    private readonly registry: RegistryService | undefined,
    deadlines: ResolvedCallDeadlines = resolveCallDeadlines(),
  ) {
    super();
    this.shared = {
      service,
      loadBalancer,
      retry,
      deadlines,
      attemptDeadlines: new DeadlineQueue(),
      clientFor: (target) => this.clientFor(target),
    };
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
    return new Observable<TResult>((subscriber) => new BalancedClientCall(this.shared, 'send', pattern, data, subscriber).start());
  }

  /** Sent at once, as Nest's clients do (hot); retried elsewhere only when the connection was refused. */
  override emit<TResult = unknown, TInput = unknown>(pattern: unknown, data: TInput): Observable<TResult> {
    const source = connectable(
      new Observable<TResult>((subscriber) => new BalancedClientCall(this.shared, 'emit', pattern, data, subscriber).start()),
      {
        connector: () => new Subject<TResult>(),
        resetOnDisconnect: false,
      },
    );
    source.connect();
    return source;
  }

  private clientFor(target: BalancedInstance): InstanceClient {
    const known = this.clients.get(target.key);
    if (known && known.address === target.address) return known;
    if (known) this.drop(target.key);
    const [host, port] = splitHostPort(target.address);
    const client = ClientProxyFactory.create({ transport: Transport.TCP, options: { ...this.clientOptions, host, port } });
    const made = { address: target.address, client, direct: DirectTcpSender.of(client) };
    this.clients.set(target.key, made);
    return made;
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
