import { readFileSync } from 'fs';

/**
 * What the testing-kit runs of the matrix (`npm test`, `npm run test:e2e` in the apps) must pass without:
 * an etcd configured or reachable. The docs' examples read these variables (`getOrThrow` in the
 * AppModule's options factory), so a test that let the factory run fails at once instead of finding an etcd.
 */
const ETCD_VARIABLES = ['ETCD_ENDPOINTS', 'ETCD_USERNAME', 'ETCD_PASSWORD', 'ADVERTISE_ADDRESS'];

/** etcd's default client port, the one an etcd client given no endpoint would try. */
const ETCD_DEFAULT_PORT = 2379;

/** `env` without any etcd setting. */
export function withoutEtcd(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const name of ETCD_VARIABLES) delete out[name];
  return out;
}

/** TCP ports in LISTEN state on this machine (any address), from /proc/net/tcp and tcp6: no connection made. */
function listeningPorts(): Set<number> {
  const ports = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue; // no IPv6 table
    }
    for (const line of text.split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state === '0A' && local) ports.add(parseInt(local.split(':').pop()!, 16));
    }
  }
  return ports;
}

/**
 * Throws when an etcd the tests could reach by accident listens: etcd's default port, or a port of an etcd
 * this matrix started (`endpoints`, e.g. the one the application check used, which must be stopped by now).
 */
export function assertNoEtcdListening(endpoints: string[]): void {
  const ports = [ETCD_DEFAULT_PORT, ...endpoints.map((e) => Number(/:(\d+)\/?$/.exec(e)?.[1]))].filter((p) => p > 0);
  const open = listeningPorts();
  const found = ports.filter((p) => open.has(p));
  if (found.length > 0) {
    throw new Error(
      `something listens on port ${found.join(', ')} (etcd's default port, or an etcd this matrix started): the testing-kit ` +
        'runs must pass with no etcd reachable; stop that process (or the matrix leaked its etcd) and run again',
    );
  }
}
