import { createServer } from 'net';

const RESERVED = new Set([2379, 2380]);
const handedOut = new Set<number>();

function once(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A free TCP port on 127.0.0.1, never 2379/2380 and never one handed out before in this process. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await once();
    if (!RESERVED.has(port) && !handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}
