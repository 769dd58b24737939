import type { CallOptions } from '@grpc/grpc-js';
import { ClientHttp2Session, ClientHttp2Stream, connect, IncomingHttpHeaders, SecureClientSessionOptions } from 'http2';
import type { EtcdErrorKind, ErrorKindOf } from '../final-error';
import {
  BYTES,
  LeanResponseHeader,
  ProtoWriter,
  VARINT,
  decodeHeader,
  emptyHeader,
  int64At,
  lengthAt,
  skipField,
  truncated,
} from './proto-wire';

export type { LeanResponseHeader } from './proto-wire';

/**
 * A prefix read without etcd3: etcd3 parses its .proto files with protobufjs when it is required
 * (about 100 ms of a short process's start) and decodes a large Range response slowly. A one-shot
 * reader (the CLI's `ls` and `get`) needs two unary calls, KV/Range and Auth/Authenticate, so they
 * are made here over Node's own http2 (gRPC's wire format: no @grpc/grpc-js, whose loading cost a
 * short process about 25 ms) with a hand-written codec of the few fields they use
 * (etcd's rpc.proto and kv.proto, field numbers below). int64/uint64 values are decimal strings,
 * as etcd3 gives them. test/unit/lean-range.spec.ts checks the codec, and
 * test/integration/lean-range.spec.ts compares its reads with etcd3's against real etcd.
 */

/** etcdserverpb.RangeRequest (rpc.proto). Unset fields are etcd's defaults. */
export interface LeanRangeRequest {
  key: Buffer; // 1
  rangeEnd?: Buffer; // 2
  limit?: number | string; // 3
  revision?: number | string; // 4
  sortOrder?: number; // 5
  sortTarget?: number; // 6
  serializable?: boolean; // 7
  keysOnly?: boolean; // 8
  countOnly?: boolean; // 9
}

/**
 * mvccpb.KeyValue (kv.proto). Key and value are decoded as UTF-8 strings, as the registry reads
 * them (one string each: no Buffer per key made first, which cost a large read about 7 ms).
 */
export interface LeanKeyValue {
  key: string; // 1
  create_revision: string; // 2
  mod_revision: string; // 3
  version: string; // 4
  value: string; // 5
  lease: string; // 6
}

/** etcdserverpb.RangeResponse. */
export interface LeanRangeResponse {
  header: LeanResponseHeader; // 1
  kvs: LeanKeyValue[]; // 2
  more: boolean; // 3
  count: string; // 4
}

/** etcdserverpb.AuthenticateResponse. */
export interface LeanAuthenticateResponse {
  header: LeanResponseHeader; // 1
  token: string; // 2
}

// --- encoding ---------------------------------------------------------------------------------

export function encodeRangeRequest(req: LeanRangeRequest): Buffer {
  const w = new ProtoWriter();
  if (req.key.length > 0) w.bytes(1, req.key);
  if (req.rangeEnd !== undefined && req.rangeEnd.length > 0) w.bytes(2, req.rangeEnd);
  w.int(3, req.limit);
  w.int(4, req.revision);
  w.int(5, req.sortOrder);
  w.int(6, req.sortTarget);
  w.int(7, req.serializable);
  w.int(8, req.keysOnly);
  w.int(9, req.countOnly);
  return w.finish();
}

export function encodeAuthenticateRequest(name: string, password: string): Buffer {
  const w = new ProtoWriter();
  if (name !== '') w.bytes(1, Buffer.from(name));
  if (password !== '') w.bytes(2, Buffer.from(password));
  return w.finish();
}

// --- decoding ---------------------------------------------------------------------------------
//
// A CLI decodes one large response once, before V8 has compiled anything: the decoding is written
// for the interpreter (few calls and allocations per field; loops that V8 compiles on the spot),
// which made it about three times faster on a cold start than a reader object with a method call
// per byte.

/** mvccpb.KeyValue from [pos, end): the hot loop of a large read (one per key). */
function decodeKeyValue(buf: Buffer, pos: number, end: number): LeanKeyValue {
  const kv: LeanKeyValue = { key: '', create_revision: '0', mod_revision: '0', version: '0', value: '', lease: '0' };
  while (pos < end) {
    const tag = buf[pos++];
    if (tag === 0x0a || tag === 0x2a) {
      // key (1) or value (5), bytes: a length, then the bytes.
      let length = 0;
      let scale = 1;
      let b: number;
      do {
        if (pos >= end) truncated();
        b = buf[pos++];
        length += (b & 0x7f) * scale;
        scale *= 128;
      } while (b >= 0x80);
      if (pos + length > end) truncated();
      if (tag === 0x0a) kv.key = buf.toString('utf8', pos, pos + length);
      else kv.value = buf.toString('utf8', pos, pos + length);
      pos += length;
    } else if (tag === 0x10 || tag === 0x18 || tag === 0x20 || tag === 0x30) {
      // create_revision (2), mod_revision (3), version (4), lease (6): int64 varints.
      let value = 0;
      let scale = 1;
      let b = 0x80;
      const start = pos;
      for (let n = 0; n < 7 && b >= 0x80; n++) {
        if (pos >= end) truncated();
        b = buf[pos++];
        value += (b & 0x7f) * scale;
        scale *= 128;
      }
      let text: string;
      if (b < 0x80) text = String(value);
      else [text, pos] = int64At(buf, start, end, true);
      if (tag === 0x10) kv.create_revision = text;
      else if (tag === 0x18) kv.mod_revision = text;
      else if (tag === 0x20) kv.version = text;
      else kv.lease = text;
    } else {
      // A tag of more than one byte, or a field this decoder does not know.
      const [fullTag, at] = lengthAt(buf, pos - 1, end);
      pos = skipField(buf, at, end, fullTag & 7);
    }
  }
  return kv;
}

export function decodeRangeResponse(buf: Buffer): LeanRangeResponse {
  const res: LeanRangeResponse = { header: emptyHeader(), kvs: [], more: false, count: '0' };
  const end = buf.length;
  let pos = 0;
  while (pos < end) {
    const [tag, at] = lengthAt(buf, pos, end);
    const field = tag >>> 3;
    const wireType = tag & 7;
    if ((field === 1 || field === 2) && wireType === BYTES) {
      const [length, start] = lengthAt(buf, at, end);
      pos = start + length;
      if (pos > end) truncated();
      if (field === 1) res.header = decodeHeader(buf, start, pos);
      else res.kvs.push(decodeKeyValue(buf, start, pos));
    } else if ((field === 3 || field === 4) && wireType === VARINT) {
      const [value, next] = int64At(buf, at, end, field === 4);
      pos = next;
      if (field === 3) res.more = value !== '0';
      else res.count = value;
    } else {
      pos = skipField(buf, at, end, wireType);
    }
  }
  return res;
}

export function decodeAuthenticateResponse(buf: Buffer): LeanAuthenticateResponse {
  const res: LeanAuthenticateResponse = { header: emptyHeader(), token: '' };
  const end = buf.length;
  let pos = 0;
  while (pos < end) {
    const [tag, at] = lengthAt(buf, pos, end);
    const field = tag >>> 3;
    if ((field === 1 || field === 2) && (tag & 7) === BYTES) {
      const [length, start] = lengthAt(buf, at, end);
      pos = start + length;
      if (pos > end) truncated();
      if (field === 1) res.header = decodeHeader(buf, start, pos);
      else res.token = buf.toString('utf8', start, pos);
    } else {
      pos = skipField(buf, at, end, tag & 7);
    }
  }
  return res;
}

/** The end of the range of every key starting with `prefix` (etcd's prefix range_end; `\0` for all keys). */
export function prefixRangeEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i]++;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

// --- the calls --------------------------------------------------------------------------------

/** TLS material for https:// endpoints (PEM), as the registry's options give it. */
export interface LeanTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/** gRPC status codes (grpc-js's `status`), the ones these calls tell apart. */
export const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  ABORTED: 10,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

const STATUS_NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

/** An error of a call, shaped as grpc-js's ServiceError: `code`, `details`, and its message `<code> <NAME>: <details>`. */
export interface LeanCallError extends Error {
  code: number;
  details: string;
}

export function leanCallError(code: number, details: string): LeanCallError {
  return Object.assign(new Error(`${code} ${STATUS_NAMES[code] ?? 'UNKNOWN'}: ${details}`), { code, details });
}

/** The gRPC status of an HTTP status other than 200 (gRPC's http-grpc-status-mapping). */
function statusOfHttp(httpStatus: number): number {
  if (httpStatus === 400) return GrpcStatus.INTERNAL;
  if (httpStatus === 401) return GrpcStatus.UNAUTHENTICATED;
  if (httpStatus === 403) return GrpcStatus.PERMISSION_DENIED;
  if (httpStatus === 404) return GrpcStatus.UNIMPLEMENTED;
  if (httpStatus === 429 || httpStatus === 502 || httpStatus === 503 || httpStatus === 504) return GrpcStatus.UNAVAILABLE;
  return GrpcStatus.UNKNOWN;
}

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** The gRPC status of a header block (the trailers, or a trailers-only answer's headers), if it has one; grpc-message is percent-encoded. */
export function grpcStatusOf(headers: IncomingHttpHeaders): { code: number; details: string } | undefined {
  const code = header(headers, 'grpc-status');
  if (code === undefined) return undefined;
  const raw = header(headers, 'grpc-message') ?? '';
  try {
    return { code: Number(code), details: decodeURIComponent(raw) };
  } catch {
    return { code: Number(code), details: raw };
  }
}

/** A gRPC message on the wire: the 5-byte prefix (not compressed, the length as a big-endian uint32), then the message. */
export function grpcFrame(message: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(5 + message.length);
  frame[0] = 0;
  frame.writeUInt32BE(message.length, 1);
  message.copy(frame, 5);
  return frame;
}

/** The answer's flow-control window: a large Range arrives without waiting on WINDOW_UPDATEs. */
const WINDOW = 64 * 1024 * 1024;

/** One call in flight on a member: how a session failure ends it. */
interface PendingCall {
  fail(error: LeanCallError): void;
}

/**
 * One HTTP/2 connection to one etcd member, speaking KV/Range and Auth/Authenticate as gRPC unary
 * calls (POST, application/grpc, one 5-byte length-prefixed message each way, the status in the
 * trailers). `host` is `host:port` (no scheme); `tls` undefined is plaintext. Errors are shaped as
 * grpc-js's (see LeanCallError), with its messages for a connection that failed ("No connection
 * established. Last error: ...") or dropped ("Connection dropped"), so final-error.ts reads them
 * as it reads etcd3's. The TLS server name is the host unless it is an IP address (Node's http2
 * leaves it out then: RFC 6066, DEP0123); the certificate is checked against the host either way.
 */
export class LeanEtcdMember {
  private session?: ClientHttp2Session;
  private connected = false;
  private readonly pending = new Set<PendingCall>();

  constructor(
    readonly host: string,
    private readonly tls: LeanTls | undefined,
  ) {}

  range(req: LeanRangeRequest, call: CallOptions, token?: string): Promise<LeanRangeResponse> {
    return this.unary('/etcdserverpb.KV/Range', encodeRangeRequest(req), decodeRangeResponse, call, token);
  }

  /**
   * KV/Range with the answer read by `decode` (a RangeResponse's bytes), for a reader that needs less
   * than decodeRangeResponse gives. `onSent` is called once the request is written out (not when
   * the call fails first): etcd is working on the answer then, and the caller may use the wait.
   */
  rangeAs<T>(req: LeanRangeRequest, decode: (message: Buffer) => T, call: CallOptions, token?: string, onSent?: () => void): Promise<T> {
    return this.unary('/etcdserverpb.KV/Range', encodeRangeRequest(req), decode, call, token, onSent);
  }

  authenticate(name: string, password: string, call: CallOptions): Promise<LeanAuthenticateResponse> {
    return this.unary('/etcdserverpb.Auth/Authenticate', encodeAuthenticateRequest(name, password), decodeAuthenticateResponse, call);
  }

  /** Ends the connection and every call on it (they fail as CANCELLED). */
  close(): void {
    const session = this.session;
    this.session = undefined;
    this.endPending(session, leanCallError(GrpcStatus.CANCELLED, 'Channel closed'));
    session?.destroy();
  }

  private connection(): ClientHttp2Session {
    const current = this.session;
    if (current && !current.closed && !current.destroyed) return current;
    const options: SecureClientSessionOptions = { settings: { initialWindowSize: WINDOW }, maxSessionMemory: 1024 };
    if (this.tls) Object.assign(options, { ca: this.tls.ca, cert: this.tls.cert, key: this.tls.key });
    const session = connect(`${this.tls ? 'https' : 'http'}://${this.host}`, options);
    this.session = session;
    this.connected = false;
    session.once('connect', () => {
      if (this.session === session) this.connected = true;
      session.setLocalWindowSize(WINDOW);
    });
    const ended = (error?: Error) => {
      const wasConnected = this.connected && this.session === session;
      if (this.session === session) this.session = undefined;
      const details = wasConnected
        ? 'Connection dropped'
        : `No connection established. Last error: ${String(error ?? 'Connection closed')}`;
      this.endPending(session, leanCallError(GrpcStatus.UNAVAILABLE, details));
    };
    session.on('error', ended);
    session.once('close', () => ended());
    session.once('goaway', () => {
      if (this.session === session) this.session = undefined;
    });
    return session;
  }

  private endPending(session: ClientHttp2Session | undefined, error: LeanCallError): void {
    for (const call of [...this.pending])
      if (session === undefined || (call as { session?: unknown }).session === session) call.fail(error);
  }

  private unary<T>(
    method: string,
    body: Buffer,
    decode: (b: Buffer) => T,
    call: CallOptions,
    token?: string,
    onSent?: () => void,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const started = Date.now();
      const deadline = call.deadline === undefined ? Infinity : call.deadline instanceof Date ? call.deadline.getTime() : call.deadline;
      const timeoutMs = deadline - started;
      if (timeoutMs <= 0) return reject(leanCallError(GrpcStatus.DEADLINE_EXCEEDED, 'Deadline exceeded after 0.000s'));
      let session: ClientHttp2Session;
      try {
        session = this.connection();
      } catch (error) {
        return reject(leanCallError(GrpcStatus.UNAVAILABLE, `No connection established. Last error: ${String(error)}`));
      }
      const headers: Record<string, string> = {
        ':method': 'POST',
        ':path': method,
        'content-type': 'application/grpc',
        te: 'trailers',
      };
      if (timeoutMs !== Infinity) headers['grpc-timeout'] = `${Math.min(99_999_999, Math.ceil(timeoutMs))}m`;
      if (token !== undefined) headers.token = token;

      let stream: ClientHttp2Stream | undefined;
      let timer: NodeJS.Timeout | undefined;
      const pending: PendingCall & { session: ClientHttp2Session } = {
        session,
        fail: (error) => finish(error),
      };
      let done = false;
      const finish = (error: LeanCallError | undefined, value?: T) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.pending.delete(pending);
        if (stream && !stream.closed) stream.close(0x8); // NGHTTP2_CANCEL
        if (error) reject(error);
        else resolve(value as T);
      };
      this.pending.add(pending);
      if (timeoutMs !== Infinity) {
        timer = setTimeout(
          () =>
            finish(leanCallError(GrpcStatus.DEADLINE_EXCEEDED, `Deadline exceeded after ${((Date.now() - started) / 1000).toFixed(3)}s`)),
          timeoutMs,
        );
      }

      try {
        stream = session.request(headers, { endStream: false });
      } catch (error) {
        return finish(leanCallError(GrpcStatus.UNAVAILABLE, `No connection established. Last error: ${String(error)}`));
      }
      // 'finish': the request is written (an error instead: the stream's 'error' below ends the call).
      if (onSent) stream.once('finish', onSent);
      stream.end(grpcFrame(body));

      const chunks: Buffer[] = [];
      let size = 0;
      let status: number | undefined;
      let details = '';
      let httpStatus = 0;
      const statusFrom = (h: IncomingHttpHeaders) => {
        const read = grpcStatusOf(h);
        if (read) ({ code: status, details } = read);
      };
      stream.on('response', (h) => {
        httpStatus = Number(h[':status']);
        statusFrom(h); // a trailers-only answer
      });
      stream.on('trailers', statusFrom);
      stream.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
      });
      stream.on('error', (error: Error) => {
        // A stream still pending when the connection failed is cancelled "caused by" that failure: named as grpc-js names it.
        const cause = (error as { cause?: Error }).cause ?? error;
        const details = this.connected
          ? `Received RST_STREAM: ${error.message}`
          : `No connection established. Last error: ${String(cause)}`;
        finish(leanCallError(GrpcStatus.UNAVAILABLE, details));
      });
      stream.on('close', () => {
        if (done) return;
        if (httpStatus !== 200 && status === undefined) {
          if (httpStatus === 0) return finish(leanCallError(GrpcStatus.UNAVAILABLE, 'Connection dropped'));
          return finish(leanCallError(statusOfHttp(httpStatus), `Received HTTP status code ${httpStatus}`));
        }
        if (status === undefined) return finish(leanCallError(GrpcStatus.UNKNOWN, 'No status received'));
        if (status !== GrpcStatus.OK) return finish(leanCallError(status, details));
        const data = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
        if (data.length < 5) return finish(leanCallError(GrpcStatus.INTERNAL, 'No message received'));
        if (data[0] !== 0) return finish(leanCallError(GrpcStatus.INTERNAL, 'Compressed message received without compression'));
        const length = data.readUInt32BE(1);
        if (5 + length > data.length) return finish(leanCallError(GrpcStatus.INTERNAL, 'Truncated message received'));
        let value: T;
        try {
          value = decode(data.subarray(5, 5 + length));
        } catch (error) {
          return finish(leanCallError(GrpcStatus.INTERNAL, `Failed to parse server response: ${String(error)}`));
        }
        finish(undefined, value);
      });
    });
  }
}

// --- its errors -------------------------------------------------------------------------------

/** The kinds etcd3 gives these errors (its castGrpcError: etcd's message first, then the gRPC code). */
const KIND_OF_CODE: Partial<Record<number, EtcdErrorKind>> = {
  [GrpcStatus.INVALID_ARGUMENT]: 'invalidArgument',
  [GrpcStatus.PERMISSION_DENIED]: 'permissionDenied',
  [GrpcStatus.UNAUTHENTICATED]: 'unauthenticated',
};

/** The kind of an error of LeanEtcdMember's calls (a LeanCallError), as etcd3 would class it. */
export const leanErrorKind: ErrorKindOf = (error) => {
  if (!(error instanceof Error)) return undefined;
  if (error.message.includes('etcdserver: authentication failed, invalid user ID or password')) return 'authFailed';
  if (error.message.includes('etcdserver: permission denied')) return 'permissionDenied';
  const code = (error as Partial<LeanCallError>).code;
  return typeof code === 'number' ? KIND_OF_CODE[code] : undefined;
};

/** The gRPC statuses etcd3 takes as a failure of the member (its RecoverableError classes). */
const HOST_FAILURES = new Set<number>([
  GrpcStatus.CANCELLED,
  GrpcStatus.UNKNOWN,
  GrpcStatus.DEADLINE_EXCEEDED,
  GrpcStatus.RESOURCE_EXHAUSTED,
  GrpcStatus.ABORTED,
  GrpcStatus.INTERNAL,
  GrpcStatus.UNAVAILABLE,
]);

/**
 * Whether an error of LeanEtcdMember's calls says the member failed (unreachable, dropped the
 * connection, no leader, or did not answer before the call's deadline: a hung member) rather than
 * etcd answering. A full database (NOSPACE) is etcd answering, as host-failure.interceptor.ts has it.
 */
export function isLeanHostFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as Partial<LeanCallError>).code;
  return typeof code === 'number' && HOST_FAILURES.has(code) && !/database space exceeded/.test(error.message);
}

/** etcd's answer to a call with a token it does not know (expired, or not yet applied on this member). */
export function isInvalidToken(error: unknown): boolean {
  return error instanceof Error && error.message.includes('etcdserver: invalid auth token');
}
