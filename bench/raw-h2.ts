import { decodeRangeResponse, encodeRangeRequest, prefixRangeEnd } from '../lib/core/etcd/lean-range';
import { BenchClient, BenchClientOptions, BenchHandler } from './bench-client.interface';
import { GrpcBidi, H2GrpcChannel } from './raw-h2-channel';
import {
  applyWatchResponse,
  decodeLeaseGrantResponse,
  encodeDeleteRangeRequest,
  encodeLeaseGrantRequest,
  encodeLeaseIdRequest,
  encodePutRequest,
  encodeWatchCreateRequest,
} from './raw-h2-codec';

const PUT = '/etcdserverpb.KV/Put';
const DELETE_RANGE = '/etcdserverpb.KV/DeleteRange';
const RANGE = '/etcdserverpb.KV/Range';
const LEASE_GRANT = '/etcdserverpb.Lease/LeaseGrant';
const LEASE_KEEP_ALIVE = '/etcdserverpb.Lease/LeaseKeepAlive';
const LEASE_REVOKE = '/etcdserverpb.Lease/LeaseRevoke';
const WATCH = '/etcdserverpb.Watch/Watch';

/**
 * The Node floor (figure 1 only): the raw etcd3 floor's work (bench/raw-etcd3.ts: one lease kept
 * alive, Put under it, DeleteRange; per watch one Range of the prefix, then one Watch from the next
 * revision applied to a Map handed over as it is) on Node's own http2 module, with gRPC framing
 * (raw-h2-channel.ts) and protobuf codecs (raw-h2-codec.ts, lean-range.ts) written by hand: no
 * @grpc/grpc-js, no etcd3, no protobufjs. What any Node client pays at least; the Go floor
 * (bench/go/floor) does the same work on clientv3. One HTTP/2 connection to the first endpoint
 * for everything, as the others hold one channel. No retries, no reconnection.
 */
export class RawH2Client implements BenchClient {
  private readonly channel: H2GrpcChannel;
  private lease?: Promise<string>;
  private keepAlive?: { stream: GrpcBidi; timer: NodeJS.Timeout };
  private readonly watches: GrpcBidi[] = [];

  constructor(private readonly options: BenchClientOptions) {
    this.channel = new H2GrpcChannel(options.endpoints[0]);
  }

  async register(key: string, value: string): Promise<void> {
    const lease = await (this.lease ??= this.grant());
    await this.channel.unary(PUT, encodePutRequest(Buffer.from(key), Buffer.from(value), lease));
  }

  async unregister(key: string): Promise<void> {
    await this.channel.unary(DELETE_RANGE, encodeDeleteRangeRequest(Buffer.from(key)));
  }

  async watch(prefix: string, fn: BenchHandler): Promise<void> {
    const key = Buffer.from(prefix);
    const rangeEnd = prefixRangeEnd(key);
    const read = decodeRangeResponse(await this.channel.unary(RANGE, encodeRangeRequest({ key, rangeEnd })));
    const map = new Map<string, string>();
    for (const kv of read.kvs) map.set(kv.key, kv.value);
    fn(map);
    await new Promise<void>((resolve, reject) => {
      let created = false;
      const stream = this.channel.bidi(
        WATCH,
        (message) => {
          const status = applyWatchResponse(message, map);
          if (status.canceled && !created) return reject(new Error(`raw-h2: watch of ${prefix} refused: ${status.cancelReason}`));
          if (status.created && !created) {
            created = true;
            resolve();
          }
          if (status.events > 0) fn(map);
        },
        (error) => {
          if (!created) reject(error ?? new Error(`raw-h2: watch of ${prefix} ended before it was created`));
        },
      );
      this.watches.push(stream);
      stream.send(encodeWatchCreateRequest(key, rangeEnd, String(BigInt(read.header.revision) + 1n)));
    });
  }

  async close(): Promise<void> {
    for (const w of this.watches.splice(0)) w.cancel();
    if (this.keepAlive) {
      clearInterval(this.keepAlive.timer);
      this.keepAlive.stream.cancel();
    }
    const lease = await this.lease?.catch(() => undefined);
    if (lease) await this.channel.unary(LEASE_REVOKE, encodeLeaseIdRequest(lease)).catch(() => undefined);
    await this.channel.close();
  }

  /** LeaseGrant, then a LeaseKeepAlive stream with a request every ttl/3 (as etcd3 and clientv3 keep a lease). */
  private async grant(): Promise<string> {
    const res = decodeLeaseGrantResponse(await this.channel.unary(LEASE_GRANT, encodeLeaseGrantRequest(this.options.ttlSeconds)));
    if (res.error !== '' || res.id === '0') throw new Error(`raw-h2: LeaseGrant failed: ${res.error || 'no lease ID in the answer'}`);
    const request = encodeLeaseIdRequest(res.id);
    const stream = this.channel.bidi(
      LEASE_KEEP_ALIVE,
      () => undefined,
      () => undefined,
    );
    stream.send(request);
    const timer = setInterval(() => stream.send(request), (this.options.ttlSeconds * 1000) / 3);
    this.keepAlive = { stream, timer };
    return res.id;
  }
}
