import { ConsecutiveBreaker, ExponentialBackoff, IBackoff, circuitBreaker, handleWhen, retry } from 'cockatiel';
import { Etcd3, IOptions, isRecoverableError } from 'etcd3';
import { CallContext, unaryCallDeadline } from '../call-deadline';
import { HostSelection, hostName, installHostSelection, isHostFailure } from './host-selection';
import { hostFailureInterceptor } from './host-failure.interceptor';
import { requireLeader } from './require-leader.interceptor';
import { omitIpServerName } from './tls-server-name';
import { ResolvedRegistryOptions } from '../options';

function pem(value: string | Buffer | undefined): Buffer | undefined {
  return value === undefined ? undefined : Buffer.isBuffer(value) ? value : Buffer.from(value);
}

/**
 * The one place where the etcd client is created. Its fault handling is tuned so that recovery
 * follows etcd's own election time rather than etcd3's defaults (a breaker open for 5 s, watch
 * backoff up to 30 s). A unary call's deadline is its operation's (call-deadline.ts; streams get
 * none), and calls that end by our own deadline or cancel, or by a NOSPACE refusal, are not taken
 * by etcd3 as host failures (host-failure.interceptor.ts): they never reset the connection nor
 * open the breaker. Which member a call goes to is chosen by a HostSelection (etcd/host-selection.ts):
 * a member that failed or stalled a call is avoided for a while; it learns of failures through
 * each host's fault policy.
 */
export function createEtcdClient(options: ResolvedRegistryOptions): Etcd3 {
  const attemptMs = options.attemptTimeoutMs;
  const selection = new HostSelection(options.hosts.map(hostName));
  const unaryInterceptors = [hostFailureInterceptor];
  // Streams (watch, lease keep-alive) get no deadline (it would kill them) but require a leader.
  const streamInterceptors = [hostFailureInterceptor, requireLeader];
  const callOptions = (ctx: CallContext) => {
    const deadline = unaryCallDeadline(ctx, options.timeoutMs, attemptMs);
    return deadline
      ? { deadline, interceptors: unaryInterceptors }
      : { interceptors: ctx.isStream ? streamInterceptors : unaryInterceptors };
  };
  const config: IOptions = {
    hosts: options.hosts,
    defaultCallOptions: callOptions,
    grpcOptions: {
      'grpc.max_receive_message_length': -1,
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 3_000,
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1_000,
    },
    faultHandling: {
      host: (host) => {
        const breaker = circuitBreaker(handleWhen(isRecoverableError), { halfOpenAfter: 300, breaker: new ConsecutiveBreaker(3) });
        // Every call and stream on this host runs through its policy: a host-level failure
        // (our own deadline included: a hung member) makes the selection avoid the host.
        breaker.onFailure(({ reason }) => {
          if ('error' in reason && isHostFailure(reason.error)) selection.failed(hostName(host));
        });
        return breaker;
      },
      global: retry(handleWhen(isRecoverableError), { maxAttempts: 2 }),
      // etcd3 types this as a backoff but uses it as a factory (it calls next()): an ExponentialBackoff fits.
      watchBackoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 1000 }) as unknown as IBackoff<unknown>,
    },
  };
  if (options.username !== undefined && options.password !== undefined) {
    config.auth = { username: options.username, password: options.password, callOptions };
  }
  if (options.tls) {
    config.credentials = {
      rootCertificate: pem(options.tls.ca) as Buffer,
      privateKey: pem(options.tls.key),
      certChain: pem(options.tls.cert),
    };
  }
  omitIpServerName(); // no IP address as TLS server name (DEP0123)
  const client = new Etcd3(config);
  installHostSelection(client, selection);
  return client;
}
