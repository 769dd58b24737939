import { InterceptingCall, Interceptor, StatusObject, status as Status } from '@grpc/grpc-js';
import { OWN_CANCEL, OWN_DEADLINE } from './own-ends';

export { OWN_CANCEL, OWN_DEADLINE };

/**
 * etcd3 takes every "recoverable" gRPC status (DEADLINE_EXCEEDED, CANCELLED, RESOURCE_EXHAUSTED,
 * UNAVAILABLE, ...) as a failure of the host: it closes the host's channel (every call and
 * stream on it dies, the next call pays a new connection), counts it in the circuit breaker and
 * retries. Three endings are no such failure, and are handed to etcd3 as FAILED_PRECONDITION
 * (not recoverable) with the reason in the message:
 * - a deadline this library set (the call's operation has run out of budget),
 * - a stream etcd3 itself cancelled (the watch stream once its last watcher is gone),
 * - etcd refusing writes because its database is full (the NOSPACE alarm: retrying cannot help).
 * Everything else reaches etcd3 unchanged.
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
