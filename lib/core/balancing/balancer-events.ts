/** Emitted when consecutive failures eject an instance. */
export interface InstanceEjectedEvent {
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
  readonly service: string;
  readonly key: string;
  readonly address: string;
  readonly reason: 'timeout' | 're-registered';
}

/** Emitted when an instance stops being a candidate: its key left, it drains, or its address changed. */
export interface InstanceLeftEvent {
  readonly service: string;
  readonly key: string;
  /** The address it had (a client holding a connection to it closes that connection). */
  readonly address: string;
}

/** The balancer's events (`balancer.events.on('ejected', fn)`). */
export interface BalancerEventMap {
  ejected: [InstanceEjectedEvent];
  restored: [InstanceRestoredEvent];
  left: [InstanceLeftEvent];
}
