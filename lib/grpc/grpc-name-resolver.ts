import * as grpc from '@grpc/grpc-js';
import type { ChannelOptions, MethodConfig, ServiceConfig } from '@grpc/grpc-js';
import type { InstanceWatchSource } from '../core/balancing/load-balancer';
import { DEFAULT_SERVICES_PREFIX, watchInstancesOf } from '../core/balancing/load-balancer';
import { endpointAddressing } from '../core/balancing/transport-address';
import { RegistryClosedError, RegistryOptionsError } from '../core/errors';
import { assertPrefix } from '../core/input-validation';
import type { InstanceCodecChoice } from '../core/instances/instance-codec.interface';
import type { InstanceMap } from '../core/instances/service-instance';
import type { Registry, RegistryLogger, WatchSubscription } from '../core/registry.interface';
import { grpcMessages } from './messages';

/** A `grpc://host:port` endpoint (kratos, json), else the address of an instance without endpoints (go-zero, grpc-naming, plain). */
export const GRPC_ADDRESSING = endpointAddressing('grpc', ['grpc']);

/** The URI scheme of targets resolved through the registry: `etcd-registry:///<service>`. */
export const DEFAULT_GRPC_SCHEME = 'etcd-registry';

/** grpc-js's own load-balancing policies, picked per call by the channel. */
export type GrpcLoadBalancing = 'round_robin' | 'pick_first';

export interface GrpcResolverOptions {
  /** Prefix the services are registered under (ending with '/'). Default `/services/`. */
  prefix?: string | undefined;
  /** How the values are read. Default `etcd-service` (plain host:port). */
  codec?: InstanceCodecChoice | undefined;
  /** URI scheme the targets use: `${scheme}:///<service>`. Default `etcd-registry`. One resolver per scheme. */
  scheme?: string | undefined;
  /** grpc-js policy the service config names. Default `round_robin`. */
  loadBalancing?: GrpcLoadBalancing | undefined;
  /** gRPC method configs of the service config (timeouts, `retryPolicy` for idempotent methods...). */
  methodConfig?: MethodConfig[] | undefined;
  retryThrottling?: ServiceConfig['retryThrottling'] | undefined;
  /** Where the instance watch logs skipped entries. Default: the registry's logger. */
  logger?: RegistryLogger | undefined;
}

/** What one service resolves to now. */
export interface GrpcServiceResolution {
  service: string;
  /** `host:port` of each instance that is up and has a gRPC address, in key order. */
  addresses: string[];
  /** Instances announced as draining: left out. */
  draining: number;
  /** Instances up without a gRPC address (endpoints of other schemes only): left out. */
  withoutAddress: number;
  /** Channels resolving it now. */
  channels: number;
}

type Endpoint = grpc.experimental.Endpoint;
interface Resolution {
  addresses: string[];
  draining: number;
  withoutAddress: number;
  note: string;
}
type Subscriber = (resolution: Resolution) => void;

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*$/;
/** Live resolvers by scheme; channel resolvers made before theirs wait in `waiting`. */
const sources = new Map<string, GrpcNameResolver>();
const waiting = new Map<string, Set<ChannelResolver>>();
const registered = new Set<string>();

/**
 * Registers the resolver class for `scheme` with grpc-js (idempotent). Done before any channel to
 * such a target is made (a channel maps an unknown scheme to DNS at construction); the instances
 * may come later: channels made meanwhile wait for them.
 */
export function registerGrpcScheme(scheme: string = DEFAULT_GRPC_SCHEME): void {
  if (typeof scheme !== 'string' || !SCHEME.test(scheme)) throw new RegistryOptionsError('scheme', grpcMessages.scheme(scheme));
  if (registered.has(scheme)) return;
  grpc.experimental.registerResolver(scheme, ChannelResolver);
  registered.add(scheme);
}

/**
 * Resolves `etcd-registry:///<service>` targets of grpc-js channels (plain clients, Nest's
 * ClientGrpc) to the live instances of that service under one prefix: one watch of the prefix
 * for every channel, the address list pushed to each channel on every change, draining
 * instances and instances without a gRPC address left out. grpc-js picks per call with the
 * service config's policy (`round_robin` by default) and, with a `retryPolicy`, retries.
 */
export class GrpcNameResolver {
  readonly prefix: string;
  readonly scheme: string;
  /** Given to channels whose options hold no `grpc.service_config` of their own. */
  readonly serviceConfig: ServiceConfig;
  private readonly subscribers = new Map<string, Set<Subscriber>>();
  private fleet?: InstanceMap;
  private subscription?: WatchSubscription;
  private closed = false;

  constructor(readonly options: GrpcResolverOptions = {}) {
    this.prefix = options.prefix ?? DEFAULT_SERVICES_PREFIX;
    assertPrefix(this.prefix);
    this.scheme = options.scheme ?? DEFAULT_GRPC_SCHEME;
    const lb = options.loadBalancing ?? 'round_robin';
    if (lb !== 'round_robin' && lb !== 'pick_first') throw new RegistryOptionsError('loadBalancing', grpcMessages.loadBalancing(lb));
    this.serviceConfig = {
      loadBalancingConfig: [{ [lb]: {} }],
      methodConfig: options.methodConfig ?? [],
      ...(options.retryThrottling ? { retryThrottling: options.retryThrottling } : {}),
    };
    registerGrpcScheme(this.scheme);
    if (sources.has(this.scheme)) throw new RegistryOptionsError('scheme', grpcMessages.schemeTaken(this.scheme));
    sources.set(this.scheme, this);
  }

  /** A resolver fed by a watch of `options.prefix` on `source`; resolves once the first map is in. */
  static async watch(source: Registry | InstanceWatchSource, options: GrpcResolverOptions = {}): Promise<GrpcNameResolver> {
    const resolver = new GrpcNameResolver(options);
    try {
      await resolver.follow(source);
    } catch (e) {
      await resolver.close();
      throw e;
    }
    return resolver;
  }

  /** Starts the watch of the prefix (a core Registry or Nest's RegistryService); resolves once the first map is in. */
  async follow(source: Registry | InstanceWatchSource): Promise<void> {
    if (this.closed) throw new RegistryClosedError(grpcMessages.closed(this.scheme));
    const fn = (fleet: InstanceMap) => this.apply(fleet);
    const subscription = await watchInstancesOf(source, this.prefix, fn, this.options);
    if (this.closed) await subscription.remove();
    else this.subscription = subscription;
  }

  /** The target a channel dials for `service`: `etcd-registry:///user-service`. */
  target(service: string): string {
    return `${this.scheme}:///${service}`;
  }

  /** Takes a new instance map (what the watch delivers) and tells the channels whose service it touched. */
  apply(fleet: InstanceMap): void {
    if (this.closed) return;
    const first = this.fleet === undefined;
    this.fleet = fleet;
    for (const [service, subscribers] of this.subscribers) {
      const resolution = this.resolve(service);
      for (const fn of subscribers) fn(resolution);
    }
    if (first) for (const channel of waiting.get(this.scheme) ?? []) channel.attach();
  }

  /** Per service a channel resolves: the addresses it was given and what was left out. */
  status(): { scheme: string; prefix: string; services: GrpcServiceResolution[] } {
    const services = [...this.subscribers].map(([service, subscribers]) => {
      const { addresses, draining, withoutAddress } = this.resolve(service);
      return { service, addresses, draining, withoutAddress, channels: subscribers.size };
    });
    return { scheme: this.scheme, prefix: this.prefix, services };
  }

  /** Stops the watch and frees the scheme; channels keep their last addresses. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (sources.get(this.scheme) === this) sources.delete(this.scheme);
    this.subscribers.clear();
    const subscription = this.subscription;
    this.subscription = undefined;
    await subscription?.remove();
  }

  /** @internal A channel's resolver follows `service`; undefined until the first map is in. */
  subscribe(service: string, fn: Subscriber): (() => void) | undefined {
    if (this.closed || !this.fleet) return undefined;
    let set = this.subscribers.get(service);
    if (!set) this.subscribers.set(service, (set = new Set()));
    set.add(fn);
    fn(this.resolve(service));
    return () => {
      set.delete(fn);
      if (set.size === 0 && this.subscribers.get(service) === set) this.subscribers.delete(service);
    };
  }

  /** @internal What `service` resolves to now. */
  current(service: string): Resolution {
    return this.resolve(service);
  }

  private resolve(service: string): Resolution {
    const addresses: string[] = [];
    let draining = 0;
    let withoutAddress = 0;
    for (const instance of this.fleet?.get(service) ?? []) {
      if (instance.status !== 'up') {
        draining++;
        continue;
      }
      const address = GRPC_ADDRESSING.addressOf(instance);
      if (address === undefined) withoutAddress++;
      else if (!addresses.includes(address)) addresses.push(address);
    }
    const note =
      addresses.length > 0 ? '' : grpcMessages.noInstance(service, this.prefix, draining, withoutAddress, [...(this.fleet?.keys() ?? [])]);
    return { addresses, draining, withoutAddress, note };
  }
}

const serviceOf = (target: grpc.experimental.GrpcUri): string => target.path.replace(/^\/+/, '');

function endpointOf(address: string): Endpoint {
  const colon = address.lastIndexOf(':');
  return { addresses: [{ host: address.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port: Number(address.slice(colon + 1)) }] };
}

/** The listener of grpc-js 1.13+ is a function; 1.10 to 1.12 call onSuccessfulResolution on an object. */
type LegacyListener = { onSuccessfulResolution(endpoints: Endpoint[], sc: ServiceConfig | null, ...rest: unknown[]): void };

/** One channel's resolver (grpc-js makes one per channel): follows its service on the scheme's GrpcNameResolver. */
class ChannelResolver implements grpc.experimental.Resolver {
  private readonly service: string;
  private unsubscribe?: () => void;
  private source?: GrpcNameResolver;
  private last?: string;
  private active = true;

  constructor(
    private readonly target: grpc.experimental.GrpcUri,
    private readonly listener: grpc.experimental.ResolverListener | LegacyListener,
    private readonly channelOptions: ChannelOptions,
  ) {
    this.service = serviceOf(target);
  }

  static getDefaultAuthority(target: grpc.experimental.GrpcUri): string {
    const service = serviceOf(target);
    if (!service) throw new Error(grpcMessages.target(grpc.experimental.uriToString(target), target.scheme ?? DEFAULT_GRPC_SCHEME));
    return service;
  }

  updateResolution(): void {
    this.active = true;
    if (!this.unsubscribe) return this.attach();
    // grpc-js asks again (a connection failed, or the channel left idle): hand it the current list
    // again, as its DNS resolver would.
    this.last = undefined;
    const source = this.source!;
    this.deliver(source.current(this.service), source);
  }

  destroy(): void {
    this.active = false;
    this.last = undefined;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.source = undefined;
    waiting.get(this.target.scheme!)?.delete(this);
  }

  /** Subscribes to the scheme's resolver once it has a map; waits for it otherwise. */
  attach(): void {
    if (!this.active || this.unsubscribe) return;
    const scheme = this.target.scheme!;
    const source = sources.get(scheme);
    const unsubscribe = source?.subscribe(this.service, (r) => this.deliver(r, source));
    if (!unsubscribe) {
      let set = waiting.get(scheme);
      if (!set) waiting.set(scheme, (set = new Set()));
      set.add(this);
      return;
    }
    waiting.get(scheme)?.delete(this);
    this.unsubscribe = unsubscribe;
    this.source = source;
  }

  /** Hands grpc-js a changed address list, never synchronously with updateResolution (as grpc-js requires). */
  private deliver(r: Resolution, source: GrpcNameResolver): void {
    const key = `${r.addresses.join(',')}|${r.note}`;
    if (key === this.last) return;
    this.last = key;
    const endpoints = r.addresses.map(endpointOf);
    const own = this.channelOptions['grpc.service_config'] !== undefined;
    const serviceConfig = own ? null : source.serviceConfig;
    setImmediate(() => {
      if (!this.active || this.last !== key) return;
      if (typeof this.listener === 'function') {
        this.listener(grpc.experimental.statusOrFromValue(endpoints), {}, serviceConfig && { ok: true, value: serviceConfig }, r.note);
      } else {
        this.listener.onSuccessfulResolution(endpoints, serviceConfig, null, null, {});
      }
    });
  }
}
