export { BalancedInstance } from './balanced-instance';
export type { BalancerEvent, BalancerEventMap, InstanceEjectedEvent, InstanceLeftEvent, InstanceRestoredEvent } from './balancer-events';
export {
  AttemptTimeoutError,
  CallDeadlineError,
  NoInstanceAddressError,
  NoLiveInstanceError,
  UnknownServiceError,
} from './balancing.errors';
export { attemptBudgetMs, DEFAULT_CALL_DEADLINES, resolveCallDeadlines } from './call-deadlines';
export type { CallDeadlineOptions, ResolvedCallDeadlines } from './call-deadlines';
export { DEFAULT_SERVICES_PREFIX, LoadBalancer } from './load-balancer';
export type { InstanceWatchSource, LoadBalancerOptions, LoadBalancerStatus } from './load-balancer';
export { DEFAULT_EJECTION, resolveEjectionOptions } from './outlier-ejection';
export type { EjectionOptions, ResolvedEjectionOptions } from './outlier-ejection';
export type { Clock, Picker, PickerChoice, PickerFactory, PickerName, RandomSource, ZoneAffinePickerChoice } from './picker.interface';
export { DEFAULT_PICKER, PICKER_NAMES, resolvePicker } from './pickers';
export { PowerOfTwoPicker, PROBE_AFTER_MS } from './power-of-two.picker';
export { RandomPicker } from './random.picker';
export { RoundRobinPicker } from './round-robin.picker';
export { LATENCY_DECAY_MS, ServiceBalancer } from './service-balancer';
export type { CallOutcome, ServiceBalancerStatus, ServiceInstanceStatus } from './service-balancer';
export { endpointAddressing } from './transport-address';
export type { TransportAddressing } from './transport-address';
export { WeightedPicker } from './weighted.picker';
export { ZoneAffinePicker } from './zone-affine.picker';
