import { ClientHttp2Session, ClientHttp2Stream, IncomingHttpHeaders, connect } from 'http2';
import { connect as tcpConnect } from 'net';
import { grpcFrame, grpcStatusOf } from '../lib/core/etcd/lean-range';

/**
 * gRPC over Node's own http2 for the Node http2 floor (bench/raw-h2.ts): one connection, unary
 * calls and bidirectional streams, no @grpc/grpc-js. gRPC's wire format: POST, content-type
 * application/grpc, te: trailers, each message a 5-byte prefix (compressed flag 0, length as a
 * big-endian uint32) then the message; the status in the trailers (grpc-status, grpc-message),
 * or in the response headers of a trailers-only answer.
 */

/**
 * Cuts a stream's DATA chunks into gRPC messages, wherever the chunks' boundaries fall (a prefix or a
 * message may span chunks, a chunk may hold several messages). Bytes are copied only for a piece
 * that spans chunks.
 */
export class GrpcMessageReader {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  /** The length of the message whose prefix was read, until the message is complete. */
  private need: number | undefined;

  /** Adds a chunk; returns the messages it completed, in order. */
  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.size += chunk.length;
    }
    for (;;) {
      if (this.need === undefined) {
        if (this.size < 5) return out;
        const prefix = this.take(5);
        if (prefix[0] !== 0) throw new Error(`gRPC: a compressed message (flag ${prefix[0]}) though no grpc-encoding was asked for`);
        this.need = prefix.readUInt32BE(1);
      }
      if (this.size < this.need) return out;
      out.push(this.take(this.need));
      this.need = undefined;
    }
  }

  /** Bytes received that no complete message holds yet. */
  get buffered(): number {
    return this.size + (this.need === undefined ? 0 : 5);
  }

  private take(n: number): Buffer {
    this.size -= n;
    const first = this.chunks[0];
    if (n === 0) return Buffer.alloc(0);
    if (first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    while (at < n) {
      const c = this.chunks[0];
      const k = Math.min(c.length, n - at);
      c.copy(out, at, 0, k);
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
      at += k;
    }
    return out;
  }
}

/** A call's end other than OK: the gRPC status and its message. */
export class GrpcCallError extends Error {
  constructor(
    readonly code: number,
    readonly details: string,
    path: string,
  ) {
    super(`${path}: gRPC status ${code}: ${details}`);
  }
}

/** A bidirectional stream: messages out with send(), in through the handler given to stream(). */
export interface GrpcBidi {
  send(message: Buffer): void;
  /** Half-closes (no more messages from us) and lets the server end the call. */
  end(): void;
  /** Ends the call at once (RST_STREAM CANCEL). */
  cancel(): void;
}

/** The answer's flow-control window (as lib/core/etcd/lean-range.ts): a large Range arrives without waiting on WINDOW_UPDATEs. */
const WINDOW = 64 * 1024 * 1024;

/**
 * One HTTP/2 connection to one etcd member (`host:port`, plaintext). TCP_NODELAY on the socket, as
 * grpc-js and Go's net package set it: a small request is not held back by Nagle's algorithm.
 */
export class H2GrpcChannel {
  private readonly session: ClientHttp2Session;
  private readonly streams = new Set<ClientHttp2Stream>();

  constructor(readonly endpoint: string) {
    const [host, port] = splitHostPort(endpoint);
    this.session = connect(`http://${endpoint}`, {
      settings: { initialWindowSize: WINDOW },
      createConnection: () => tcpConnect({ host, port, noDelay: true }),
    });
    this.session.once('connect', () => this.session.setLocalWindowSize(WINDOW));
    // A failed connection fails its streams (each with its own 'error'); the session's own is only logged by them.
    this.session.on('error', () => undefined);
  }

  /** One request message, one answer message. */
  unary(path: string, message: Buffer): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      let answer: Buffer | undefined;
      let ok = false;
      let settled = false;
      const settle = (error?: Error) => {
        if (settled) return;
        if (!error && !(ok && answer)) return;
        settled = true;
        if (error) reject(error);
        else resolve(answer!);
      };
      const stream = this.open(path, {
        message: (m) => {
          answer ??= m;
          settle();
        },
        status: (code, details) => {
          if (code !== 0) return settle(new GrpcCallError(code, details, path));
          ok = true;
          settle();
        },
        closed: (error) => settle(error ?? new GrpcCallError(13, answer ? 'no status received' : 'no message received', path)),
      });
      stream.end(grpcFrame(message));
    });
  }

  /** A bidirectional stream; `onMessage` for each answer, `onEnd` once when the call ends (undefined: OK). */
  bidi(path: string, onMessage: (message: Buffer) => void, onEnd: (error?: Error) => void): GrpcBidi {
    let ended = false;
    const end = (error?: Error) => {
      if (ended) return;
      ended = true;
      onEnd(error);
    };
    const stream = this.open(path, {
      message: onMessage,
      status: (code, details) => end(code === 0 ? undefined : new GrpcCallError(code, details, path)),
      closed: (error) => end(error),
    });
    return {
      send: (message) => {
        if (!stream.closed && stream.writable) stream.write(grpcFrame(message));
      },
      end: () => {
        if (stream.writable) stream.end();
      },
      cancel: () => {
        if (!stream.closed) stream.close(0x8); // NGHTTP2_CANCEL
      },
    };
  }

  /** Cancels the calls still open and closes the connection. */
  close(): Promise<void> {
    for (const stream of this.streams) if (!stream.closed) stream.close(0x8);
    if (this.session.closed) return Promise.resolve();
    return new Promise((resolve) => this.session.close(resolve));
  }

  private open(
    path: string,
    on: { message(m: Buffer): void; status(code: number, details: string): void; closed(error?: Error): void },
  ): ClientHttp2Stream {
    const stream = this.session.request(
      { ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers' },
      { endStream: false },
    );
    this.streams.add(stream);
    const reader = new GrpcMessageReader();
    let httpStatus = 0;
    const fromHeaders = (headers: IncomingHttpHeaders) => {
      const status = grpcStatusOf(headers);
      if (status) on.status(status.code, status.details);
    };
    stream.on('response', (headers) => {
      httpStatus = Number(headers[':status']);
      fromHeaders(headers); // a trailers-only answer
    });
    stream.on('trailers', fromHeaders);
    stream.on('data', (chunk: Buffer) => {
      let messages: Buffer[];
      try {
        messages = reader.push(chunk);
      } catch (error) {
        on.closed(error as Error);
        stream.close(0x8);
        return;
      }
      for (const m of messages) on.message(m);
    });
    stream.on('error', (error: Error) => on.closed(new GrpcCallError(14, error.message, path)));
    stream.once('close', () => {
      this.streams.delete(stream);
      on.closed(httpStatus === 0 || httpStatus === 200 ? undefined : new GrpcCallError(2, `HTTP status ${httpStatus}`, path));
    });
    return stream;
  }
}

function splitHostPort(endpoint: string): [string, number] {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(endpoint);
  if (!m) throw new Error(`raw-h2: endpoint ${JSON.stringify(endpoint)} is not host:port (for example 127.0.0.1:2379)`);
  return [m[1], Number(m[2])];
}
