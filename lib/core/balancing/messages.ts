/** Every message of the balancing unit, in one place. */
const names = (list: readonly string[]) => (list.length === 0 ? 'none' : list.slice(0, 10).join(', ') + (list.length > 10 ? ', ...' : ''));

export const balancingMessages = {
  unknownService: (service: string, prefix: string, known: readonly string[]) =>
    `No service named ${JSON.stringify(service)} is registered under ${JSON.stringify(prefix)} (services there: ${names(known)}): check the service name and the prefix.`,
  noLiveInstance: (service: string, prefix: string, draining: number) =>
    `Service ${JSON.stringify(service)} under ${JSON.stringify(prefix)} has no live instance` +
    (draining > 0 ? ` (${draining} draining, never picked)` : ' (every instance left)') +
    ': start an instance, or retry later.',
  noAddress: (service: string, transport: string, instances: readonly string[]) =>
    `No instance of service ${JSON.stringify(service)} has an address for ${transport} (instances: ${names(instances)}): register an endpoint such as "${transport}://host:port" in the instance's endpoints.`,
  unknownPicker: (value: unknown) =>
    `Option "picker" must be one of "round-robin", "random", "weighted", "p2c-in-flight", "p2c-latency", { type: "zone-affine", zone, within? } or a factory (random) => Picker; got ${JSON.stringify(value)}.`,
  zoneMissing: () => 'Option "picker.zone" must be a non-empty string: the caller\'s zone, compared with each instance\'s zone.',
  ejectionOption: (option: string, value: unknown) =>
    `Option "ejection.${option}" must be an integer >= 1 (0 for consecutiveFailures or consecutiveErrors turns that rule off); got ${JSON.stringify(value)}.`,
  serviceName: (value: unknown) =>
    `Argument "service" must be a non-empty service name such as "user-service"; got ${JSON.stringify(value)}.`,
  deadlineOption: (option: string, value: unknown) =>
    `Option "${option}" must be an integer >= 0 (ms; 0 turns it off); got ${JSON.stringify(value)}.`,
  attemptTimeout: (service: string, key: string, address: string, ms: number, why: string) =>
    `No answer from ${JSON.stringify(service)} instance ${key} (${address}) within ${ms} ms (attemptTimeoutMs); not retried: ${why}.`,
  callDeadline: (service: string, ms: number, tried: readonly string[]) =>
    `Call to ${JSON.stringify(service)} got no answer within its deadline of ${ms} ms (deadlineMs); instances tried: ${names(tried)}.`,
  closed: (prefix: string) => `The load balancer on ${JSON.stringify(prefix)} is closed.`,
};
