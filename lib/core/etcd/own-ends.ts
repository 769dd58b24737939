/**
 * Marks, in an error's message, a call that ended by the library's own hand or by a refusal of
 * etcd: not a sign that the host failed (host-failure.interceptor.ts). Kept free of @grpc/grpc-js
 * so the lean read path (lean-range.ts) does not load it.
 */
export const OWN_DEADLINE = 'the operation budget ran out (own deadline)';
export const OWN_CANCEL = 'cancelled by the client itself';

/** gRPC's DEADLINE_EXCEEDED status code (grpc-js's `status.DEADLINE_EXCEEDED`), without loading grpc-js. */
export const GRPC_DEADLINE_EXCEEDED = 4;
