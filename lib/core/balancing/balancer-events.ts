/**
 * The balancer's events, named as the registry's are (`<subject>-<change>`): each carries its `type`
 * and `at` (epoch ms), and `instance-ejected` is forwarded to the registry's events unchanged.
 */

/** Emitted when consecutive failures eject an instance. */
export interface InstanceEjectedEvent {
  readonly type: 'instance-ejected';
  readonly at: number;
  readonly service: string;
  /** The instance's etcd key. */
  readonly key: string;
  /** What the client dials. */
  readonly address: string;
  /** Failed calls in a row that ejected it. */
  readonly failures: number;
  /** How long it is out, ms, and until when (epoch ms). */
  readonly forMs: number;
  readonly until: number;
}

/** Emitted when an ejected instance is picked again: its while ran out, or it registered again. */
export interface InstanceRestoredEvent {
  readonly type: 'instance-restored';
  readonly at: number;
  readonly service: string;
  readonly key: string;
  readonly address: string;
  readonly reason: 'timeout' | 're-registered';
}

/** Emitted when an instance stops being a candidate: its key left, it drains, or its address changed. */
export interface InstanceLeftEvent {
  readonly type: 'instance-left';
  readonly at: number;
  readonly service: string;
  readonly key: string;
  /** The address it had (a client holding a connection to it closes that connection). */
  readonly address: string;
}

/** Any of the balancer's events. */
export type BalancerEvent = InstanceEjectedEvent | InstanceRestoredEvent | InstanceLeftEvent;

/** The balancer's events by type (`balancer.events.on('instance-ejected', fn)`). */
export interface BalancerEventMap {
  'instance-ejected': [InstanceEjectedEvent];
  'instance-restored': [InstanceRestoredEvent];
  'instance-left': [InstanceLeftEvent];
}
