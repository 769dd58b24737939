import { createConnection, createServer, Server, Socket } from 'net';

interface PeerLink {
  client: Socket;
  upstream: Socket;
  /** The sending member's id (hex), from the X-Server-From header of the link's first request. */
  from?: string;
}

const SERVER_FROM = /\r\nX-Server-From: *([0-9a-f]+)\r\n/i;

/**
 * A TCP proxy in front of ONE etcd member's peer port: the other members reach it through this
 * proxy (it is the member's advertised peer URL). etcd's peer requests name their sender
 * (X-Server-From), so the proxy can tell which member opened a link and cut exactly the links
 * of one member: `isolate()` refuses every link to this member, `refuseFrom(id)` every link
 * from member `id`. Together (see EtcdCluster.isolate) they cut a member off from its peers
 * while its client port keeps answering.
 */
export class PeerProxy {
  private readonly links = new Set<PeerLink>();
  private isolated = false;
  private readonly refused = new Set<string>();
  port = 0;

  private constructor(private readonly server: Server) {}

  static async create(targetPort: number): Promise<PeerProxy> {
    let proxy!: PeerProxy;
    const server = createServer((socket) => proxy.accept(socket, targetPort));
    proxy = new PeerProxy(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const addr = server.address();
    proxy.port = typeof addr === 'object' && addr ? addr.port : 0;
    return proxy;
  }

  private accept(client: Socket, targetPort: number): void {
    if (this.isolated) {
      client.resetAndDestroy();
      return;
    }
    client.once('data', (first: Buffer) => {
      const from = SERVER_FROM.exec(first.toString('latin1'))?.[1]?.toLowerCase();
      if (this.isolated || (from !== undefined && this.refused.has(from))) {
        client.resetAndDestroy();
        return;
      }
      const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
      const link: PeerLink = { client, upstream, from };
      this.links.add(link);
      const drop = () => {
        this.links.delete(link);
        client.destroy();
        upstream.destroy();
      };
      for (const s of [client, upstream]) {
        s.on('error', drop);
        s.on('close', drop);
      }
      upstream.write(first);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    client.on('error', () => client.destroy());
  }

  /** Refuses (and resets) every link to this member. */
  isolate(): void {
    this.isolated = true;
    for (const link of [...this.links]) this.reset(link);
  }

  /** Refuses (and resets) every link opened by member `idHex`. */
  refuseFrom(idHex: string): void {
    this.refused.add(idHex.toLowerCase());
    for (const link of [...this.links]) if (link.from === idHex.toLowerCase()) this.reset(link);
  }

  heal(): void {
    this.isolated = false;
    this.refused.clear();
  }

  async close(): Promise<void> {
    this.isolate();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private reset(link: PeerLink): void {
    this.links.delete(link);
    link.client.resetAndDestroy();
    link.upstream.destroy();
  }
}
