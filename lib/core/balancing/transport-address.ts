import { parseEndpoint } from '../instances/address';
import type { ServiceInstance } from '../instances/service-instance';

/** How a client's transport finds where to dial an instance. */
export interface TransportAddressing {
  /** Named in errors, e.g. `tcp`, `http`. */
  readonly name: string;
  /** What the transport dials (`host:port`, or a URL origin for HTTP); undefined when the instance has none for it. */
  addressOf(instance: ServiceInstance): string | undefined;
}

/**
 * The first endpoint with one of `schemes` (`tcp://10.0.0.5:4000` -> `10.0.0.5:4000`, or the URL's
 * origin with `origin: true`); when the instance has no endpoints at all (plain `host:port` formats:
 * etcd-service, go-zero), its `address`. An instance whose endpoints are all of other schemes has
 * no address for this transport.
 */
export function endpointAddressing(name: string, schemes: readonly string[], options: { origin?: boolean } = {}): TransportAddressing {
  return {
    name,
    addressOf(instance) {
      for (const endpoint of instance.endpoints) {
        const parsed = parseEndpoint(endpoint);
        if (parsed?.address && schemes.includes(parsed.scheme))
          return options.origin ? `${parsed.scheme}://${parsed.address}` : parsed.address;
      }
      if (instance.endpoints.length > 0 || !instance.address) return undefined;
      return options.origin ? `${schemes[0]}://${instance.address}` : instance.address;
    },
  };
}
