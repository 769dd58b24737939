import { InterceptingCall, Interceptor } from '@grpc/grpc-js';

/**
 * Adds etcd's require-leader metadata (`hasleader: true`, what Go's clientv3.WithRequireLeader
 * sets) to a stream: etcd refuses to open it on a member that has no leader and closes it
 * ("etcdserver: no leader") when its member loses the leader, e.g. when a partition cuts the
 * member off from the others. etcd3 then reconnects the watch or keep-alive stream to another
 * endpoint, instead of staying on the isolated member, which would serve nothing new (watches)
 * and let the lease expire on the majority (keep-alives).
 */
export const requireLeader: Interceptor = (options, nextCall) =>
  new InterceptingCall(nextCall(options), {
    start(metadata, listener, next) {
      // A copy: etcd3 hands every call the same cached metadata object (the auth token).
      const withLeader = metadata.clone();
      withLeader.set('hasleader', 'true');
      next(withLeader, listener);
    },
  });
