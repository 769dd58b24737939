import { Etcd3, IOptions } from 'etcd3';
import { ResolvedRegistryOptions } from '../options';
import { defaultCallOptions } from './default-call-options';
import { directTxnMissing } from './direct-txn';
import { requireInternals } from './etcd3-internals';
import { faultHandling, faultHandlingMissing } from './fault-handling';
import { HostSelection, hostName, installHostSelection } from './host-selection';
import { omitIpServerName } from './tls-server-name';
import { installLeanWatchDecoding, leanWatchMissing } from './watch-codec';
import { watchQueueMissing } from './watch-queue-repair';
import { watchRevisionMissing } from './watch-revision';

function pem(value: string | Buffer | undefined): Buffer | undefined {
  return value === undefined ? undefined : Buffer.isBuffer(value) ? value : Buffer.from(value);
}

/**
 * The one place where the etcd client is created, and where every patch of it is put in place:
 * - fault-handling.ts: etcd3 runs each call once (the operation runner is the one retry policy),
 *   and tells the HostSelection of a failed member; watches reconnect within 1 s;
 * - default-call-options.ts: a unary call's deadline is its operation's (streams get none), and
 *   every call carries the interceptors (host-failure.interceptor.ts: calls that end by our own
 *   deadline or cancel, or by a NOSPACE refusal, are not taken by etcd3 as host failures;
 *   require-leader.interceptor.ts: streams leave a member that lost its leader);
 * - host-selection.ts: which member a call goes to (a member that failed or stalled a call is
 *   avoided for a while);
 * - tls-server-name.ts: no IP address as TLS server name (DEP0123);
 * - watch-codec.ts: the watch stream's answers decoded by hand (not by protobufjs);
 * - and, used later on this client: direct-txn.ts (the keeper's writes), watch-queue-repair.ts and
 *   watch-revision.ts.
 * What each patch relies on in etcd3 is checked here: a release of etcd3 that lacks it makes this
 * throw an Etcd3InternalsError naming etcd3's version and the patch, rather than run unpatched.
 */
export function createEtcdClient(options: ResolvedRegistryOptions): Etcd3 {
  const selection = new HostSelection(options.hosts.map(hostName));
  const callOptions = defaultCallOptions(options.timeoutMs, options.attemptTimeoutMs);
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
    faultHandling: faultHandling(selection),
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
  // No IP address as TLS server name (DEP0123). Only for a TLS client: the patch reaches grpc-js's
  // secure credentials through one it creates, which loads the system's root certificates (tens of
  // milliseconds and about a megabyte at every plain-text start otherwise).
  if (options.tls || options.hosts.some((h) => h.startsWith('https://'))) omitIpServerName();
  const client = new Etcd3(config);
  try {
    requireInternals('fault-handling.ts (one retry policy, failed members reported)', faultHandlingMissing(client));
    installHostSelection(client, selection);
    requireInternals("direct-txn.ts (the keeper's transactions)", directTxnMissing(client));
    requireInternals('watch-queue-repair.ts (a refused watch leaves the attach queue)', watchQueueMissing(client));
    requireInternals("watch-codec.ts (the watch stream's answers)", leanWatchMissing(client));
    requireInternals("watch-revision.ts (a watcher's resume revision)", watchRevisionMissing(client));
    installLeanWatchDecoding(client);
  } catch (error) {
    client.close();
    throw error;
  }
  return client;
}
