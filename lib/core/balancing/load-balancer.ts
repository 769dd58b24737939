import type { RegistryEvents } from '../events/registry-events';
import { EventEmitter } from 'events';
import { RegistryArgumentError, RegistryClosedError } from '../errors';
import { assertPrefix } from '../input-validation';
import type { InstanceCodecChoice } from '../instances/instance-codec.interface';
import type { InstanceMap } from '../instances/service-instance';
import { watchInstances } from '../instances/watch-instances';
import type { Registry, RegistryLogger, WatchSubscription } from '../registry.interface';
import type { BalancedInstance } from './balanced-instance';
import type { BalancerEventMap } from './balancer-events';
import { NoInstanceAddressError, NoLiveInstanceError, UnknownServiceError } from './balancing.errors';
import { balancingMessages } from './messages';
import { EjectionOptions, resolveEjectionOptions, ResolvedEjectionOptions } from './outlier-ejection';
import type { PickerChoice, PickerFactory, RandomSource } from './picker.interface';
import { resolvePicker } from './pickers';
import { CallOutcome, ServiceBalancer, ServiceBalancerStatus } from './service-balancer';
import { endpointAddressing, TransportAddressing } from './transport-address';

export interface LoadBalancerOptions {
  /** Prefix the services are registered under (ending with '/'). Default `/services/`. */
  prefix?: string | undefined;
  /** How the values are read. Default `etcd-service` (plain host:port); `json` reads ours and plain values. */
  codec?: InstanceCodecChoice | undefined;
  /** How an instance is picked. Default `round-robin`. */
  picker?: PickerChoice | undefined;
  /** Passive health. Default: 3 failures in a row eject for 2 s, doubling up to 30 s. */
  ejection?: EjectionOptions | undefined;
  /** Where the client's transport dials an instance. Default: an `http`/`https` endpoint, else the address. */
  transport?: TransportAddressing | undefined;
  /** Random numbers in [0, 1) for the pickers. Default Math.random. */
  random?: RandomSource | undefined;
  /** Clock of the ejections, epoch ms. Default Date.now. */
  now?: (() => number) | undefined;
  logger?: RegistryLogger | undefined;
}

/** What LoadBalancer.watch needs of a source other than a core Registry (RegistryService fits). */
export interface InstanceWatchSource {
  watchInstances(prefix: string, fn: (fleet: InstanceMap) => void, options: { codec?: InstanceCodecChoice }): Promise<WatchSubscription>;
}

/** Watches the instances under `prefix` on a core Registry or on Nest's RegistryService (its own watchInstances). */
export function watchInstancesOf(
  source: Registry | InstanceWatchSource,
  prefix: string,
  fn: (fleet: InstanceMap) => void,
  options: { codec?: InstanceCodecChoice | undefined; logger?: RegistryLogger | undefined },
): Promise<WatchSubscription> {
  return 'watchInstances' in source
    ? source.watchInstances(prefix, fn, { codec: options.codec })
    : watchInstances(source, prefix, fn, { codec: options.codec, logger: options.logger });
}

export interface LoadBalancerStatus {
  prefix: string;
  transport: string;
  services: ServiceBalancerStatus[];
}

export const DEFAULT_SERVICES_PREFIX = '/services/';

/**
 * Picks instances of services by name over the live instances under one prefix, with no etcd call
 * per pick: the instance map comes from a watch (or from `apply`). One ServiceBalancer per service
 * keeps the pickers and the passive health. Events: `instance-ejected`, `instance-restored`, `instance-left` (see BalancerEventMap).
 */
export class LoadBalancer {
  readonly prefix: string;
  readonly events = new EventEmitter<BalancerEventMap>();
  private readonly factory: PickerFactory;
  private readonly ejection: ResolvedEjectionOptions;
  private readonly transport: TransportAddressing;
  private readonly random: RandomSource;
  private readonly now: () => number;
  private readonly services = new Map<string, ServiceBalancer>();
  private fleet?: InstanceMap;
  /** Services seen in any map since the start: once gone, "no live instance" rather than "unknown". */
  private readonly seen = new Set<string>();
  private subscription?: WatchSubscription;
  private closed = false;

  constructor(readonly options: LoadBalancerOptions = {}) {
    this.prefix = options.prefix ?? DEFAULT_SERVICES_PREFIX;
    assertPrefix(this.prefix);
    this.factory = resolvePicker(options.picker);
    this.ejection = resolveEjectionOptions(options.ejection);
    this.transport = options.transport ?? endpointAddressing('http', ['http', 'https'], { origin: true });
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    // Without a listener, an 'error' event would throw; these events are informative only.
    this.events.setMaxListeners(0);
  }

  /**
   * A balancer fed by a watch of `options.prefix`; resolves once the first map is in. `source`: a
   * core Registry, or anything with `watchInstances(prefix, fn, { codec })` (Nest's RegistryService).
   */
  static async watch(source: Registry | InstanceWatchSource, options: LoadBalancerOptions = {}): Promise<LoadBalancer> {
    const balancer = new LoadBalancer(options);
    await balancer.follow(source);
    return balancer;
  }

  /** Starts this balancer's watch of its prefix on `source` (see watch); resolves once the first map is in. */
  async follow(source: Registry | InstanceWatchSource): Promise<void> {
    if (this.closed) throw new RegistryClosedError(balancingMessages.closed(this.prefix));
    const fn = (fleet: InstanceMap) => this.apply(fleet);
    this.forwardEjections(source);
    const subscription = await watchInstancesOf(source, this.prefix, fn, this.options);
    if (this.closed) await subscription.remove();
    else this.subscription = subscription;
  }

  /** Ejections also go to the registry's events (`instance-ejected`), where events$ and the metrics see them. */
  private forwardEjections(source: Registry | InstanceWatchSource): void {
    const registryEvents = (source as { events?: RegistryEvents }).events;
    if (!registryEvents) return;
    this.events.on('instance-ejected', (e) => registryEvents.emit(e));
  }

  /** Takes a new instance map (what the watch delivers). */
  apply(fleet: InstanceMap): void {
    if (this.closed) return;
    this.fleet = fleet;
    for (const name of fleet.keys()) this.seen.add(name);
    for (const [name, balancer] of this.services) balancer.update(fleet.get(name) ?? [], (i) => this.transport.addressOf(i));
  }

  /**
   * An instance of `service` to call, O(1). `exclude`: keys already tried by this call (a retry
   * goes elsewhere while another candidate exists). Throws at once, never waits:
   * UnknownServiceError, NoLiveInstanceError, NoInstanceAddressError.
   */
  pick(service: string, exclude?: ReadonlySet<string>): BalancedInstance {
    const balancer = this.serviceBalancer(service);
    const picked = balancer.pick(exclude);
    if (picked) return picked;
    throw this.whyNone(service, balancer);
  }

  /** A call to `c` started (counts in flight). */
  started(c: BalancedInstance): void {
    this.services.get(c.instance.name)?.started(c);
  }

  /** A call to `c` ended: feeds the latency average and passive health (failures may eject it). */
  finished(c: BalancedInstance, outcome: CallOutcome): void {
    this.services.get(c.instance.name)?.finished(c, outcome);
  }

  /** Names of the services in the latest map. */
  serviceNames(): string[] {
    return this.fleet ? [...this.fleet.keys()] : [];
  }

  /** Synchronous: per service picked so far, its candidates, what is in flight, and what is ejected until when. */
  status(): LoadBalancerStatus {
    return { prefix: this.prefix, transport: this.transport.name, services: [...this.services.values()].map((b) => b.status()) };
  }

  /** Stops the watch and the ejection timers. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const balancer of this.services.values()) balancer.close();
    const subscription = this.subscription;
    this.subscription = undefined;
    await subscription?.remove();
  }

  private serviceBalancer(service: string): ServiceBalancer {
    if (this.closed) throw new RegistryClosedError(balancingMessages.closed(this.prefix));
    let balancer = this.services.get(service);
    if (balancer) return balancer;
    if (typeof service !== 'string' || service.length === 0)
      throw new RegistryArgumentError('service', balancingMessages.serviceName(service));
    balancer = new ServiceBalancer(service, this.factory, this.random, this.ejection, this.events, this.now);
    balancer.update(this.fleet?.get(service) ?? [], (i) => this.transport.addressOf(i));
    this.services.set(service, balancer);
    return balancer;
  }

  private whyNone(service: string, balancer: ServiceBalancer): Error {
    if (balancer.total === 0) {
      // Never registered, or every instance left: say which services there are.
      return new (this.seen.has(service) ? NoLiveInstanceError : UnknownServiceError)(
        service,
        this.seen.has(service)
          ? balancingMessages.noLiveInstance(service, this.prefix, 0)
          : balancingMessages.unknownService(service, this.prefix, this.serviceNames()),
      );
    }
    if (balancer.withoutAddress.length > 0 && balancer.draining < balancer.total) {
      return new NoInstanceAddressError(
        service,
        this.transport.name,
        balancingMessages.noAddress(service, this.transport.name, balancer.withoutAddress),
      );
    }
    return new NoLiveInstanceError(service, balancingMessages.noLiveInstance(service, this.prefix, balancer.draining));
  }
}
