import { createConnection, createServer, Server, Socket } from 'net';

type Mode = 'up' | 'cut' | 'blackhole';

interface Link {
  client: Socket;
  upstream: Socket;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * A TCP proxy in front of one or more etcd members, for ONE client: hand `endpoints` to that client
 * only, and its link can be cut, delayed or healed while every other client talks to etcd directly.
 */
export class FaultProxy {
  private mode: Mode = 'up';
  private delayMs = 0;
  private delayJitterMs = 0;
  private readonly links = new Set<Link>();
  private servers: Server[] = [];
  /** Connections accepted since creation (refused ones included). */
  connectionsAccepted = 0;
  /** Bytes the client sent through the proxy (forwarded or not). */
  bytesFromClient = 0;

  private constructor(private readonly targets: string[]) {}

  /** One listening port per target (`127.0.0.1:port`), in the order of `targets`. */
  endpoints: string[] = [];

  static async create(targets: string[]): Promise<FaultProxy> {
    const proxy = new FaultProxy(targets);
    for (const target of targets) {
      const [host, port] = target.replace(/^https?:\/\//, '').split(':');
      const server = createServer((socket) => proxy.accept(socket, host, Number(port)));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
      const addr = server.address();
      proxy.endpoints.push(`127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`);
      proxy.servers.push(server);
    }
    return proxy;
  }

  get isCut(): boolean {
    return this.mode !== 'up';
  }

  /** Number of client connections currently forwarded. */
  get liveConnections(): number {
    return this.links.size;
  }

  private accept(client: Socket, host: string, port: number): void {
    this.connectionsAccepted++;
    if (this.mode === 'cut') {
      client.resetAndDestroy();
      return;
    }
    client.setNoDelay(true);
    const upstream = createConnection({ host, port });
    upstream.setNoDelay(true);
    const link: Link = { client, upstream };
    this.links.add(link);
    const drop = () => {
      this.links.delete(link);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', drop);
    upstream.on('close', drop);
    client.on('data', (chunk: Buffer) => (this.bytesFromClient += chunk.length));
    this.forward(client, upstream);
    this.forward(upstream, client);
  }

  /** Copies `from` to `to`, in order, after the current delay; holds data while blackholed. */
  private forward(from: Socket, to: Socket): void {
    let chain = Promise.resolve();
    from.on('data', (chunk: Buffer) => {
      const releaseAt = Date.now() + this.delayMs + Math.random() * this.delayJitterMs;
      chain = chain.then(async () => {
        const wait = releaseAt - Date.now();
        if (wait > 0) await sleep(wait);
        while (this.mode === 'blackhole' && !to.destroyed) await sleep(20);
        if (!to.destroyed) to.write(chunk);
      });
    });
  }

  /** Destroys every live connection (RST) and resets new ones until heal(). */
  cut(): void {
    this.mode = 'cut';
    for (const link of this.links) {
      link.client.resetAndDestroy();
      link.upstream.destroy();
    }
    this.links.clear();
  }

  /**
   * Keeps connections open but forwards nothing until heal() (a silent partition: the client
   * only notices by its own timeouts). New connections are accepted and held too.
   */
  blackhole(): void {
    this.mode = 'blackhole';
  }

  /**
   * Every chunk, both ways, is forwarded `ms` later; with `maxMs`, a random delay between `ms` and
   * `maxMs` per chunk (order kept: a chunk never overtakes an earlier one). 0 removes the delay.
   */
  delay(ms: number, maxMs = ms): void {
    this.delayMs = ms;
    this.delayJitterMs = Math.max(0, maxMs - ms);
  }

  /** Back to a clean link: new connections are forwarded, held data flows, no delay. */
  heal(): void {
    this.mode = 'up';
    this.delayMs = 0;
    this.delayJitterMs = 0;
  }

  /** Closes the listeners and every connection. */
  async close(): Promise<void> {
    this.cut();
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

/** A fault proxy in front of `targets` (`host:port`), each on its own free loopback port. */
export function startFaultProxy(targets: string[]): Promise<FaultProxy> {
  return FaultProxy.create(targets);
}
