import type { Etcd3, IKeyValue, IWatchResponse } from 'etcd3';
import { poolOf } from './host-selection';
import { BYTES, LeanResponseHeader, VARINT, decodeHeader, int64At, lengthAt, skipField, truncated } from './proto-wire';
import { decodeKeyValue } from './txn-codec';

/** etcd's Watch path on gRPC (the bidirectional stream etcd3's generated client opens). */
const WATCH_PATH = '/etcdserverpb.Watch/Watch';

/** mvccpb.Event.EventType by number, as etcd3 names them (proto-loader's `enums: String`). */
const EVENT_TYPES = ['Put', 'Delete'];

/** What is used of a host's gRPC Watch client (a @grpc/grpc-js Client made by etcd3 from its rpc.proto). */
interface WatchClientShape {
  watch: ((...args: unknown[]) => unknown) & { requestSerialize?: (value: unknown) => Buffer };
  makeBidiStreamRequest(
    method: string,
    serialize: (value: unknown) => Buffer,
    deserialize: (bytes: Buffer) => IWatchResponse,
    ...args: unknown[]
  ): unknown;
}

interface HostShape {
  getServiceClient(name: string): unknown;
}

const PATCHED = Symbol('nestjs-etcd-registry:lean-watch-decoding');

function decodeEvent(buf: Buffer, pos: number, end: number): IWatchResponse['events'][number] {
  const ev = { type: 'Put', kv: null as unknown as IKeyValue, prev_kv: null as unknown as IKeyValue };
  while (pos < end) {
    const [tag, at] = lengthAt(buf, pos, end);
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 1 && wire === VARINT) {
      const [value, next] = int64At(buf, at, end, true);
      pos = next;
      ev.type = EVENT_TYPES[Number(value)] ?? value;
    } else if ((field === 2 || field === 3) && wire === BYTES) {
      const [length, start] = lengthAt(buf, at, end);
      pos = start + length;
      if (pos > end) truncated();
      if (field === 2) ev.kv = decodeKeyValue(buf, start, pos);
      else ev.prev_kv = decodeKeyValue(buf, start, pos);
    } else pos = skipField(buf, at, end, wire);
  }
  return ev as IWatchResponse['events'][number];
}

/**
 * etcdserverpb.WatchResponse in etcd3's shape (the objects its proto-loader options give: int64 as
 * decimal strings, enums by name, bytes as Buffers, absent messages null, every other field present
 * with its default). test/unit/watch-codec.spec.ts checks it against etcd3's own codec.
 */
export function decodeWatchResponse(buf: Buffer): IWatchResponse {
  const end = buf.length;
  const res = {
    header: null as unknown as LeanResponseHeader,
    watch_id: '0',
    created: false,
    canceled: false,
    compact_revision: '0',
    cancel_reason: '',
    fragment: false,
    events: [] as IWatchResponse['events'],
  };
  let pos = 0;
  while (pos < end) {
    const [tag, at] = lengthAt(buf, pos, end);
    const field = tag >>> 3;
    const wire = tag & 7;
    if (wire === BYTES && (field === 1 || field === 6 || field === 11)) {
      const [length, start] = lengthAt(buf, at, end);
      pos = start + length;
      if (pos > end) truncated();
      if (field === 1) res.header = decodeHeader(buf, start, pos);
      else if (field === 6) res.cancel_reason = buf.toString('utf8', start, pos);
      else res.events.push(decodeEvent(buf, start, pos));
    } else if (wire === VARINT && field >= 2 && field <= 7 && field !== 6) {
      const [value, next] = int64At(buf, at, end, true);
      pos = next;
      if (field === 2) res.watch_id = value;
      else if (field === 3) res.created = value !== '0';
      else if (field === 4) res.canceled = value !== '0';
      else if (field === 5) res.compact_revision = value;
      else res.fragment = value !== '0';
    } else pos = skipField(buf, at, end, wire);
  }
  return res;
}

/** What of etcd3's shape the lean watch decoding relies on is missing from `client` (undefined: nothing). */
export function leanWatchMissing(client: Etcd3): string | undefined {
  const hosts = poolOf(client)?.hosts as HostShape[] | undefined;
  if (!Array.isArray(hosts) || hosts.length === 0) return 'ConnectionPool#hosts';
  if (typeof hosts[0].getServiceClient !== 'function') return 'Host#getServiceClient()';
  const proto = Object.getPrototypeOf(hosts[0].getServiceClient('Watch')) as Partial<WatchClientShape>;
  if (typeof proto.makeBidiStreamRequest !== 'function') return "the gRPC Watch client's makeBidiStreamRequest()";
  if (typeof proto.watch !== 'function' || typeof proto.watch.requestSerialize !== 'function')
    return "the gRPC Watch client's watch() with its requestSerialize";
  return undefined;
}

/**
 * The watch stream's answers decoded by hand (decodeWatchResponse) rather than by protobufjs, on
 * this client's hosts only.
 *
 * What etcd3 does (1.1.2): its WatchManager opens one Watch stream per namespace through the pool
 * (`withConnection('Watch', ...)`, on the host's cached gRPC Watch client made from etcd3's
 * rpc.proto by @grpc/proto-loader) and calls the client's generated `watch(metadata, options)`,
 * whose answers protobufjs decodes and converts to plain objects (`toObject`): about 5 us per
 * answer warm, more on a process that was idle, before etcd3's watcher sees it.
 *
 * Why it is patched: every change a watcher delivers pays that decoding on its way to the handler.
 * Each gRPC Watch client a host of this client makes gets its own `watch` that opens the same
 * stream through grpc-js's public `Client#makeBidiStreamRequest` (same channel, metadata, options
 * and interceptors), with etcd3's own request serializer and this decoder. etcd3 sees the same
 * objects; its attach queue, reconnection, auth and cancellation are untouched.
 *
 * What it relies on: the pool's `hosts` with `getServiceClient(name)` (etcd3 caches one client per
 * service, made again after `resetAllServices`), and the generated `watch` method carrying its
 * `requestSerialize` (grpc-js's makeClientConstructor). createEtcdClient checks them
 * (leanWatchMissing); test/integration/etcd3-contract.spec.ts watches through it on a real etcd.
 */
export function installLeanWatchDecoding(client: Etcd3): void {
  const hosts = poolOf(client)?.hosts as (HostShape & { [PATCHED]?: boolean })[];
  for (const host of hosts) {
    if (host[PATCHED]) continue;
    host[PATCHED] = true;
    const getServiceClient = host.getServiceClient.bind(host);
    host.getServiceClient = (name: string) => {
      const service = getServiceClient(name) as WatchClientShape & { [PATCHED]?: boolean };
      if (name !== 'Watch' || service[PATCHED]) return service;
      service[PATCHED] = true;
      const serialize = Object.getPrototypeOf(service).watch.requestSerialize as (value: unknown) => Buffer;
      service.watch = (...args: unknown[]) => service.makeBidiStreamRequest(WATCH_PATH, serialize, decodeWatchResponse, ...args);
      return service;
    };
  }
}
