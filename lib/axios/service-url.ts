import { RegistryArgumentError } from '../core/errors';
import { httpMessages } from './messages';

/** `http://user-service/users/1?x=1` -> service `user-service`, rest `/users/1?x=1`. The host is kept as written (service names are case-sensitive). */
const BY_NAME = /^(https?):\/\/([^/?#:@\s]+)(\/[^]*|\?[^]*|#[^]*)?$/i;

export function parseServiceUrl(url: string): { service: string; rest: string } {
  const fast = parsePlain(url);
  if (fast) return fast;
  const match = BY_NAME.exec(url);
  if (!match) throw new RegistryArgumentError('url', httpMessages.notByName(url));
  const rest = match[3] ?? '/';
  return { service: decodeURIComponent(match[2]), rest: rest.startsWith('/') ? rest : `/${rest}` };
}

/**
 * BY_NAME's parse without the regex, for the common case: a lowercase `http://` or `https://` and a
 * host of printable ASCII. undefined sends the URL to the regex (anything else, errors included).
 */
function parsePlain(url: string): { service: string; rest: string } | undefined {
  const start = url.startsWith('http://') ? 7 : url.startsWith('https://') ? 8 : 0;
  if (start === 0) return undefined;
  let end = start;
  for (; end < url.length; end++) {
    const c = url.charCodeAt(end);
    if (c === 0x2f || c === 0x3f || c === 0x23) break; // / ? #
    if (c <= 0x20 || c >= 0x7f || c === 0x3a || c === 0x40) return undefined; // whitespace, non-ASCII, : @
  }
  if (end === start) return undefined;
  const host = url.slice(start, end);
  const service = host.includes('%') ? decodeURIComponent(host) : host;
  if (end === url.length) return { service, rest: '/' };
  const rest = url.slice(end);
  return { service, rest: rest.charCodeAt(0) === 0x2f ? rest : `/${rest}` };
}

/** The URL axios would request: `url` alone when absolute, else `baseURL` + `url`. */
export function fullUrl(baseURL: string | undefined, url: string | undefined): string {
  const u = url ?? '';
  if (!baseURL || /^[a-z][a-z0-9+.-]*:\/\//i.test(u)) return u;
  return u ? `${baseURL.replace(/\/+$/, '')}/${u.replace(/^\/+/, '')}` : baseURL;
}
