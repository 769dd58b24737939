import { RegistryArgumentError } from '../core/errors';
import { httpMessages } from './messages';

/** `http://user-service/users/1?x=1` -> service `user-service`, rest `/users/1?x=1`. The host is kept as written (service names are case-sensitive). */
const BY_NAME = /^(https?):\/\/([^/?#:@\s]+)(\/[^]*|\?[^]*|#[^]*)?$/i;

export function parseServiceUrl(url: string): { service: string; rest: string } {
  const match = BY_NAME.exec(url);
  if (!match) throw new RegistryArgumentError('url', httpMessages.notByName(url));
  const rest = match[3] ?? '/';
  return { service: decodeURIComponent(match[2]), rest: rest.startsWith('/') ? rest : `/${rest}` };
}

/** The URL axios would request: `url` alone when absolute, else `baseURL` + `url`. */
export function fullUrl(baseURL: string | undefined, url: string | undefined): string {
  const u = url ?? '';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(u) || !baseURL) return u;
  return u ? `${baseURL.replace(/\/+$/, '')}/${u.replace(/^\/+/, '')}` : baseURL;
}
