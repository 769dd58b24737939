import { ConsecutiveBreaker, ExponentialBackoff, IBackoff, circuitBreaker, handleWhen, retry } from 'cockatiel';
import { Etcd3, IOptions, isRecoverableError } from 'etcd3';
import { ResolvedRegistryOptions } from './options';

function pem(value: string | Buffer | undefined): Buffer | undefined {
  return value === undefined ? undefined : Buffer.isBuffer(value) ? value : Buffer.from(value);
}

/** Deadline of one unary call: shorter than the operation budget so an operation can retry (e.g. across a leader failover). */
export function perCallTimeoutMs(timeoutMs: number): number {
  return Math.min(timeoutMs, Math.max(500, Math.floor(timeoutMs / 2)));
}

/** The slice of a gRPC call an interceptor sees (kept structural: @grpc/grpc-js is etcd3's dependency, not ours). */
interface GrpcMetadata {
  set(key: string, value: string): void;
  clone(): GrpcMetadata;
}
interface GrpcCall {
  start(metadata: GrpcMetadata, listener?: unknown): void;
}
type GrpcInterceptor = (options: unknown, nextCall: (options: unknown) => GrpcCall) => GrpcCall;

/**
 * Adds etcd's require-leader metadata (`hasleader: true`, what Go's clientv3.WithRequireLeader
 * sets) to a stream: etcd refuses to open it on a member that has no leader and closes it
 * ("etcdserver: no leader") when its member loses the leader, e.g. when a partition cuts the
 * member off from the others. etcd3 then reconnects the watch or keep-alive stream to another
 * endpoint, instead of staying on the isolated member, which would serve nothing new (watches)
 * and let the lease expire on the majority (keep-alives).
 */
export const requireLeader: GrpcInterceptor = (options, nextCall) => {
  const call = nextCall(options);
  const start = call.start.bind(call);
  call.start = (metadata, listener) => {
    // A copy: etcd3 hands every call the same cached metadata object (the auth token).
    const withLeader = metadata.clone();
    withLeader.set('hasleader', 'true');
    start(withLeader, listener);
  };
  return call;
};

/**
 * The one place where the etcd client is created. Its fault handling is tuned so that recovery
 * follows etcd's own election time rather than etcd3's defaults (a breaker open for 5 s, watch
 * backoff up to 30 s), and unary calls get a deadline (streams do not: it would kill them).
 */
export function createEtcdClient(options: ResolvedRegistryOptions): Etcd3 {
  const callTimeoutMs = perCallTimeoutMs(options.timeoutMs);
  const unaryDeadline = (ctx: { isStream: boolean }) => (ctx.isStream ? {} : { deadline: Date.now() + callTimeoutMs });
  // Streams (watch, lease keep-alive) get no deadline (it would kill them) but require a leader.
  const callOptions = (ctx: { isStream: boolean }) => (ctx.isStream ? { interceptors: [requireLeader] } : unaryDeadline(ctx));
  const config: IOptions = {
    hosts: options.hosts,
    defaultCallOptions: callOptions as IOptions['defaultCallOptions'],
    grpcOptions: {
      'grpc.max_receive_message_length': -1,
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 3_000,
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1_000,
    },
    faultHandling: {
      host: () =>
        circuitBreaker(handleWhen(isRecoverableError), { halfOpenAfter: 300, breaker: new ConsecutiveBreaker(3) }),
      global: retry(handleWhen(isRecoverableError), { maxAttempts: 2 }),
      // etcd3 types this as a backoff but uses it as a factory (it calls next()): an ExponentialBackoff fits.
      watchBackoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 1000 }) as unknown as IBackoff<unknown>,
    },
  };
  if (options.username !== undefined && options.password !== undefined) {
    config.auth = { username: options.username, password: options.password, callOptions: unaryDeadline };
  }
  if (options.tls) {
    config.credentials = {
      rootCertificate: pem(options.tls.ca) as Buffer,
      privateKey: pem(options.tls.key),
      certChain: pem(options.tls.cert),
    };
  }
  return new Etcd3(config);
}
