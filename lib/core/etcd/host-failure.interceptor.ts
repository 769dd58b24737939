import { InterceptingCall, Interceptor, StatusObject, status as Status } from '@grpc/grpc-js';
import { OWN_CANCEL, OWN_DEADLINE } from './own-ends';

export { OWN_CANCEL, OWN_DEADLINE };

/**
 * What etcd3 does (1.1.2, lib/connection-pool.js): it takes every "recoverable" gRPC status
 * (DEADLINE_EXCEEDED, CANCELLED, RESOURCE_EXHAUSTED, UNAVAILABLE, ...: its `isRecoverableError`)
 * as a failure of the host: it closes the host's channel (`resetAllServices`: every call and stream
 * on it dies, the next call pays a new connection), and its fault policies count it (by default a
 * circuit breaker and a retry; ours report it to the HostSelection, fault-handling.ts).
 *
 * Why it is intercepted: three endings are no such failure, and are handed to etcd3 as
 * FAILED_PRECONDITION (not recoverable) with the reason in the message:
 * - a deadline this library set (the call's operation has run out of budget),
 * - a stream etcd3 itself cancelled (the watch stream once its last watcher is gone),
 * - etcd refusing writes because its database is full (the NOSPACE alarm: retrying cannot help).
 * Everything else reaches etcd3 unchanged.
 *
 * What it relies on: etcd3 passing the `interceptors` of its call options to grpc-js, and casting
 * the status through its message (castGrpcError), so the mark in `details` reaches the error;
 * grpc-js's "Cancelled on client" detail. test/integration/etcd3-contract.spec.ts fails otherwise.
 */
export function classifyStatus(status: StatusObject, hadDeadline: boolean): StatusObject {
  if (status.code === Status.DEADLINE_EXCEEDED && hadDeadline) {
    return { ...status, code: Status.FAILED_PRECONDITION, details: `${OWN_DEADLINE}: ${status.details}` };
  }
  if (status.code === Status.CANCELLED && status.details === 'Cancelled on client') {
    return { ...status, code: Status.FAILED_PRECONDITION, details: OWN_CANCEL };
  }
  if (status.code === Status.RESOURCE_EXHAUSTED && /database space exceeded/.test(status.details)) {
    return { ...status, code: Status.FAILED_PRECONDITION };
  }
  return status;
}

/** A gRPC call interceptor (given to every call through the client's call options) applying classifyStatus. */
export const hostFailureInterceptor: Interceptor = (options, nextCall) => {
  const hadDeadline = options.deadline !== undefined && options.deadline !== Infinity;
  return new InterceptingCall(nextCall(options), {
    start(metadata, _listener, next) {
      next(metadata, { onReceiveStatus: (status, nextStatus) => nextStatus(classifyStatus(status, hadDeadline)) });
    },
  });
};
