import { RegistryArgumentError } from '../../lib/core/errors';
import { fullUrl, parseServiceUrl } from '../../lib/axios/service-url';

/** The regex parseServiceUrl stood on alone before its plain-ASCII fast path: both must agree on every URL. */
const BY_NAME = /^(https?):\/\/([^/?#:@\s]+)(\/[^]*|\?[^]*|#[^]*)?$/i;
function byRegex(url: string): { service: string; rest: string } {
  const match = BY_NAME.exec(url);
  if (!match) throw new RegistryArgumentError('url', 'not by name');
  const rest = match[3] ?? '/';
  return { service: decodeURIComponent(match[2]), rest: rest.startsWith('/') ? rest : `/${rest}` };
}

function outcome(parse: (url: string) => unknown, url: string): unknown {
  try {
    return parse(url);
  } catch (error) {
    return (error as Error).constructor.name;
  }
}

describe('parseServiceUrl', () => {
  it('splits service and rest', () => {
    expect(parseServiceUrl('http://user-service/users/1?x=1')).toEqual({ service: 'user-service', rest: '/users/1?x=1' });
    expect(parseServiceUrl('https://user-service')).toEqual({ service: 'user-service', rest: '/' });
    expect(parseServiceUrl('http://user-service?x=1')).toEqual({ service: 'user-service', rest: '/?x=1' });
    expect(parseServiceUrl('HTTP://User%20Service#top')).toEqual({ service: 'User Service', rest: '/#top' });
    expect(() => parseServiceUrl('http://host:8080/x')).toThrow(RegistryArgumentError);
    expect(() => parseServiceUrl('http:///x')).toThrow(RegistryArgumentError);
  });

  it('agrees with the regex on every combination of tricky parts', () => {
    const parts = [
      'http://',
      'https://',
      'HTTP://',
      'a',
      'svc',
      '%41',
      '%',
      ':',
      '@',
      ' ',
      '\u00a0',
      '\t',
      '/',
      '?',
      '#',
      '\u00e9',
      '\x01',
      '',
    ];
    let compared = 0;
    for (const a of parts)
      for (const b of parts)
        for (const c of parts)
          for (const d of parts) {
            const url = a + b + c + d;
            expect([url, outcome(parseServiceUrl, url)]).toEqual([url, outcome(byRegex, url)]);
            compared++;
          }
    expect(compared).toBe(parts.length ** 4);
  });
});

describe('fullUrl', () => {
  it('takes an absolute url alone, else joins it to baseURL', () => {
    expect(fullUrl(undefined, 'http://a/x')).toBe('http://a/x');
    expect(fullUrl('http://b/', 'http://a/x')).toBe('http://a/x');
    expect(fullUrl('http://b/', '/x')).toBe('http://b/x');
    expect(fullUrl('http://b', undefined)).toBe('http://b');
    expect(fullUrl(undefined, '/x')).toBe('/x');
  });
});
