/**
 * A `send` published straight on a connected Nest ClientTCP, past `ClientProxy#send`'s chain.
 * Everything the microservices wing knows of Nest's protected internals is in this file.
 *
 * What Nest does (@nestjs/microservices 11 and 12): `send(pattern, data)` returns
 * `defer(async () => this.connect()).pipe(mergeMap(() => new Observable((observer) =>
 * this.publish(packet, this.createObserver(observer)))))`, where the packet is `{ pattern, data }`
 * (11) or `this.createPacket(pattern, data)` (12, which runs the dispatch hook). ClientTCP's
 * `connect()` returns its `connectionPromise` while it has one; `publish` gives the packet an id,
 * puts the callback in the routing map, writes on `socket` and returns the teardown that takes the
 * callback out of the map; `createObserver` turns `{ err, response, isDisposed }` into the
 * observer's `error`, `next` and `complete`. When the socket closes, `handleClose` nulls `socket`
 * and `connectionPromise` and fails every routed callback with "Connection closed".
 *
 * Why it is bypassed: once connected, each call still pays an Observable chain, an async function
 * and a promise hop to learn that the connection is already there (most of the ~1.3 us a call by
 * name cost on top of a plain ClientTCP, BENCHMARKS.md §9).
 *
 * What is relied on: `publish`, `createObserver` (and `createPacket` where it exists) are
 * functions; `socket` and `connectionPromise` are own fields, null while unconnected;
 * `connectionPromise` is the connection `send` would wait for, replaced by a new promise on
 * reconnect. The direct path is taken only while the `connectionPromise` we saw resolve is still
 * the client's and its socket is set, which is when `send` would publish at once on that same
 * socket; otherwise (never connected, closed, reconnecting) the call goes through `send`, which
 * connects. A client that lacks any of it (another transport, a subclass that overrides `send`, a
 * Nest that changed) keeps `send` for good. test/integration/nest-client-tcp.contract.spec.ts
 * fails when the installed Nest changes any of it.
 *
 * `emit` keeps Nest's path: its `dispatchEvent` is async (a promise per event stays either way),
 * it is made hot and answers nothing, and it differs between 11 and 12 (the pattern's
 * normalization, the dispatch hook): little to gain for a second path to keep equal.
 */
import { ClientProxy, ClientTCP, ReadPacket, WritePacket } from '@nestjs/microservices';
import type { Observer, Unsubscribable } from 'rxjs';

/** ClientTCP's protected and private parts used here (checked by directSendMissing). */
interface ClientTcpShape {
  socket: unknown;
  connectionPromise: Promise<unknown> | null;
  publish(packet: ReadPacket, callback: (packet: WritePacket) => void): () => void;
  createObserver<T>(observer: Observer<T>): (packet: WritePacket) => void;
  createPacket?: (pattern: unknown, data: unknown) => ReadPacket;
}

/**
 * What of ClientTCP's shape the direct path relies on is missing from `client` (undefined:
 * nothing). Checked once, when the instance's client is made.
 */
export function directSendMissing(client: unknown): string | undefined {
  if (!(client instanceof ClientTCP)) return 'a ClientTCP';
  if (client.send !== ClientProxy.prototype.send) return "ClientProxy's own send (not overridden)";
  const c = client as unknown as Partial<Record<keyof ClientTcpShape, unknown>>;
  if (typeof c.publish !== 'function') return 'ClientTCP#publish()';
  if (typeof c.createObserver !== 'function') return 'ClientProxy#createObserver()';
  if (c.createPacket !== undefined && typeof c.createPacket !== 'function') return 'ClientProxy#createPacket()';
  if (!('socket' in c) || !('connectionPromise' in c)) return 'ClientTCP#socket and #connectionPromise';
  return undefined;
}

/** The attempt's side of a direct send: what rxjs's Subscription is to `send` (closed, unsubscribe). */
export interface DirectSend extends Unsubscribable {
  readonly closed: boolean;
}

/** One instance's ClientTCP, and the connection on which its sends are published directly. */
export class DirectTcpSender {
  private readonly c: ClientTcpShape;
  /** The connectionPromise seen to resolve: the connection direct sends use while it is the client's. */
  private connected: Promise<unknown> | null = null;
  /** The last connectionPromise watched (each is watched once). */
  private watched: Promise<unknown> | null = null;

  private constructor(client: ClientProxy) {
    this.c = client as unknown as ClientTcpShape;
  }

  /** The direct path of `client`, or undefined when the client lacks what it relies on (send for good). */
  static of(client: ClientProxy): DirectTcpSender | undefined {
    return directSendMissing(client) === undefined ? new DirectTcpSender(client) : undefined;
  }

  /** Whether `send` would publish at once on the connection we saw made: the one direct sends use. */
  ready(): boolean {
    const c = this.c;
    return this.connected !== null && c.connectionPromise === this.connected && c.socket !== null && c.socket !== undefined;
  }

  /** After a call through `send` (which connects): learn the connection it waits for, once it is made. */
  watch(): void {
    const c = this.c;
    const promise = c.connectionPromise;
    if (promise === null || promise === this.watched) return;
    this.watched = promise;
    promise.then(
      () => {
        if (c.connectionPromise === promise) this.connected = promise;
      },
      () => undefined, // refused: send reported it; the next call connects again
    );
  }

  /**
   * `send(pattern, data)` without its chain, delivered to `observer`; only when ready() and both
   * pattern and data are given (send fails a missing one). What it returns unsubscribes as `send`'s
   * Subscription does: the routing entry is removed, and nothing more reaches `observer`.
   */
  send<T>(pattern: unknown, data: unknown, observer: Observer<T>): DirectSend {
    const c = this.c;
    const attempt = new DirectAttempt<T>(observer);
    const packet = c.createPacket ? c.createPacket(pattern, data) : { pattern, data };
    const teardown = c.publish(packet, c.createObserver(attempt));
    attempt.started(teardown);
    return attempt;
  }
}

/** What rxjs's Subscriber does for `send`: stops at the first error or completion, then tears down. */
class DirectAttempt<T> implements Observer<T>, DirectSend {
  closed = false;
  private teardown: (() => void) | undefined;

  constructor(private readonly observer: Observer<T>) {}

  /** publish returned (it may have failed the attempt already: then its teardown runs at once). */
  started(teardown: () => void): void {
    if (this.closed) teardown();
    else this.teardown = teardown;
  }

  next(value: T): void {
    if (!this.closed) this.observer.next(value);
  }

  error(error: unknown): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.observer.error(error);
    } finally {
      this.tearDown();
    }
  }

  complete(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.observer.complete();
    } finally {
      this.tearDown();
    }
  }

  unsubscribe(): void {
    this.closed = true;
    this.tearDown();
  }

  private tearDown(): void {
    const teardown = this.teardown;
    this.teardown = undefined;
    teardown?.();
  }
}
