import { messages } from '../messages';

/** `host:port` with a port in 1..65535; host a name, an IPv4 address or a bracketed IPv6 address. */
const HOST_PORT = /^(?:\[[0-9A-Fa-f:.]+(?:%[\w.-]+)?\]|[A-Za-z0-9_][A-Za-z0-9._-]*):(\d{1,5})$/;

// A boolean, not `value is string`: false for a string that is not host:port must not narrow it to never.
export function isHostPort(value: unknown): boolean {
  if (typeof value !== 'string' || !HOST_PORT.test(value)) return false;
  // test, not exec: no match array per address (a CLI checks 10,000). The port follows the last ':' (IPv6 is bracketed).
  const port = Number(value.slice(value.lastIndexOf(':') + 1));
  return port >= 1 && port <= 65535;
}

const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443' };

/** Parses a URL with a scheme and a host (`grpc://10.0.0.5:5000`); undefined when it is not one. */
export function parseEndpoint(value: unknown): { scheme: string; address?: string } | undefined {
  if (typeof value !== 'string' || !/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]/.test(value)) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (!url.hostname) return undefined;
  const port = url.port || DEFAULT_PORTS[url.protocol];
  const address = port ? `${url.hostname}:${port}` : undefined;
  return { scheme: url.protocol.slice(0, -1), address: isHostPort(address) ? address : undefined };
}

/** The last two segments of a key: `{...}/{name}/{id}`. Throws when the key has no such layout. */
export function nameAndId(key: string, layout: string): { name: string; id: string } {
  const slash = key.lastIndexOf('/');
  const id = key.slice(slash + 1);
  const before = slash > 0 ? key.lastIndexOf('/', slash - 1) : -1;
  const name = key.slice(before + 1, Math.max(slash, 0));
  if (slash < 0 || id.length === 0 || name.length === 0) throw new Error(messages.keyLayout(layout));
  return { name, id };
}
