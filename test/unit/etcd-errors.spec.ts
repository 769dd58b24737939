import { status as Status } from '@grpc/grpc-js';
import {
  EtcdPermissionDeniedError,
  GRPCFailedPreconditionError,
  GRPCInvalidArgumentError,
  GRPCResourceExhastedError,
  GRPCUnavailableError,
  isRecoverableError,
} from 'etcd3';
import { RegistryAuthError, RegistryRefusedError } from '../../lib/core/errors';
import { finalError, mayBeTlsMismatch } from '../../lib/core/etcd/etcd-errors';
import { OWN_CANCEL, OWN_DEADLINE, classifyStatus } from '../../lib/core/etcd/host-failure.interceptor';

const ctx = { endpoints: ['127.0.0.1:1'], what: 'registration of "/a"' };

describe('finalError: etcd refusals named right', () => {
  it.each([
    [
      'NOSPACE (as etcd3 sees it without the interceptor)',
      new GRPCResourceExhastedError('8 RESOURCE_EXHAUSTED: etcdserver: mvcc: database space exceeded'),
      'NOSPACE',
      /etcdctl alarm disarm/,
    ],
    [
      'NOSPACE (through the interceptor)',
      new GRPCFailedPreconditionError('9 FAILED_PRECONDITION: etcdserver: mvcc: database space exceeded'),
      'NOSPACE',
      /--quota-backend-bytes/,
    ],
    [
      'too many txn ops',
      new GRPCInvalidArgumentError('3 INVALID_ARGUMENT: etcdserver: too many operations in txn request'),
      'TOO_MANY_TXN_OPS',
      /--max-txn-ops/,
    ],
    [
      'request too large',
      new GRPCInvalidArgumentError('3 INVALID_ARGUMENT: etcdserver: request is too large'),
      'REQUEST_TOO_LARGE',
      /--max-request-bytes/,
    ],
    [
      'gRPC server limit',
      new GRPCResourceExhastedError('8 RESOURCE_EXHAUSTED: grpc: received message larger than max (3000000 vs. 2097152)'),
      'REQUEST_TOO_LARGE',
      /--max-request-bytes/,
    ],
    [
      'another invalid argument',
      new GRPCInvalidArgumentError('3 INVALID_ARGUMENT: etcdserver: duplicate key given in txn request'),
      'INVALID_REQUEST',
      /duplicate key/,
    ],
  ])('%s', (_name, error, reason, pattern) => {
    const final = finalError(error, ctx);
    expect(final).toBeInstanceOf(RegistryRefusedError);
    expect((final as RegistryRefusedError).reason).toBe(reason);
    expect((final as Error).message).toMatch(pattern);
    expect((final as Error).message).toContain('registration of "/a"');
  });

  it('our own deadline and cancel are transient; so is etcd being unreachable', () => {
    expect(finalError(new GRPCFailedPreconditionError(`9 FAILED_PRECONDITION: ${OWN_DEADLINE}: Deadline exceeded`), ctx)).toBeUndefined();
    expect(finalError(new GRPCFailedPreconditionError(`9 FAILED_PRECONDITION: ${OWN_CANCEL}`), ctx)).toBeUndefined();
    expect(finalError(new GRPCUnavailableError('14 UNAVAILABLE: No connection established'), ctx)).toBeUndefined();
  });

  it('permission denied stays a RegistryAuthError', () => {
    expect(finalError(new EtcdPermissionDeniedError('etcdserver: permission denied'), ctx)).toBeInstanceOf(RegistryAuthError);
  });

  it('mayBeTlsMismatch: dropped connections only', () => {
    expect(mayBeTlsMismatch(new GRPCUnavailableError('14 UNAVAILABLE: No connection established. Last error: Failed to connect'))).toBe(
      true,
    );
    expect(mayBeTlsMismatch(new GRPCUnavailableError('14 UNAVAILABLE: etcdserver: leader changed'))).toBe(false);
  });
});

describe('classifyStatus: which endings etcd3 may take as host failures', () => {
  const status = (code: number, details: string) => ({ code, details, metadata: undefined as never });

  it('FAILED_PRECONDITION, the code the rewritten endings get, is not recoverable for etcd3 (no reset, no breaker)', () => {
    expect(isRecoverableError(new GRPCFailedPreconditionError('x'))).toBe(false);
    expect(isRecoverableError(new GRPCResourceExhastedError('x'))).toBe(true);
  });

  it('our own deadline: not recoverable, marked', () => {
    const out = classifyStatus(status(Status.DEADLINE_EXCEEDED, 'Deadline exceeded after 1.5s'), true);
    expect(out.code).toBe(Status.FAILED_PRECONDITION);
    expect(out.details).toContain(OWN_DEADLINE);
  });

  it("a deadline on a call we gave none (the server's own) is left alone", () => {
    expect(classifyStatus(status(Status.DEADLINE_EXCEEDED, 'x'), false).code).toBe(Status.DEADLINE_EXCEEDED);
  });

  it('a stream cancelled by the client itself: not recoverable', () => {
    const out = classifyStatus(status(Status.CANCELLED, 'Cancelled on client'), false);
    expect(out.code).toBe(Status.FAILED_PRECONDITION);
    expect(out.details).toBe(OWN_CANCEL);
    expect(classifyStatus(status(Status.CANCELLED, 'Cancelled by server'), false).code).toBe(Status.CANCELLED);
  });

  it("NOSPACE: not recoverable, etcd's words kept", () => {
    const out = classifyStatus(status(Status.RESOURCE_EXHAUSTED, 'etcdserver: mvcc: database space exceeded'), true);
    expect(out.code).toBe(Status.FAILED_PRECONDITION);
    expect(out.details).toBe('etcdserver: mvcc: database space exceeded');
  });

  it('real failures pass unchanged', () => {
    const unavailable = status(Status.UNAVAILABLE, 'Connection dropped');
    expect(classifyStatus(unavailable, true)).toBe(unavailable);
  });
});
