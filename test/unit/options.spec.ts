import { RegistryOptionsError } from '../../lib';
import { resolveRegistryOptions } from '../../lib/core';

describe('resolveRegistryOptions', () => {
  it('applies the defaults', () => {
    const o = resolveRegistryOptions({ endpoints: ['127.0.0.1:2379'] });
    expect(o).toMatchObject({ timeoutMs: 5000, ttlSeconds: 5, namespace: '', hosts: ['http://127.0.0.1:2379'] });
    expect(o.resyncIntervalMs).toBeUndefined();
    expect(o.handlerTimeoutMs).toBe(5000);
    expect(o.leaseLingerMs).toBe(3000);
    expect(resolveRegistryOptions({ endpoints: ['a:1'], leaseLingerMs: 0 }).leaseLingerMs).toBe(0);
    // Anti-entropy is on by default (every 5 minutes); 0 turns it off.
    expect(o.antiEntropyIntervalMs).toBe(300_000);
    expect(resolveRegistryOptions({ endpoints: ['a:1'], antiEntropyIntervalMs: 0 }).antiEntropyIntervalMs).toBe(0);
  });

  it('keeps explicit schemes and uses https for bare endpoints when tls is set', () => {
    expect(resolveRegistryOptions({ endpoints: ['https://etcd-1:2379'] }).hosts).toEqual(['https://etcd-1:2379']);
    expect(resolveRegistryOptions({ endpoints: ['etcd-1:2379'], tls: { ca: 'PEM' } }).hosts).toEqual(['https://etcd-1:2379']);
    expect(resolveRegistryOptions({ endpoints: ['[::1]:2379'] }).hosts).toEqual(['http://[::1]:2379']);
  });

  const cases: [string, object, RegExp][] = [
    ['endpoints', { endpoints: [] }, /"endpoints" must be a non-empty array/],
    ['endpoints', { endpoints: '127.0.0.1:2379' }, /"endpoints" must be a non-empty array/],
    ['endpoints', { endpoints: ['no-port'] }, /invalid entry "no-port": use "host:port"/],
    ['endpoints', { endpoints: ['http://a:1', 'https://b:2'] }, /mixes http:\/\/ and https:\/\//],
    ['timeoutMs', { endpoints: ['a:1'], timeoutMs: 0 }, /"timeoutMs" must be an integer >= 1/],
    ['timeoutMs', { endpoints: ['a:1'], timeoutMs: -5 }, /"timeoutMs" must be an integer >= 1/],
    ['ttlSeconds', { endpoints: ['a:1'], ttlSeconds: 1.5 }, /"ttlSeconds" must be an integer >= 1 \(seconds\); got 1.5/],
    ['ttlSeconds', { endpoints: ['a:1'], ttlSeconds: '5' }, /"ttlSeconds" must be an integer/],
    ['username', { endpoints: ['a:1'], username: 'u' }, /"username" is set but "password" is not/],
    ['password', { endpoints: ['a:1'], password: 'p' }, /"password" is set but "username" is not/],
    ['namespace', { endpoints: ['a:1'], namespace: '' }, /"namespace" must be a non-empty string/],
    ['tls.ca', { endpoints: ['a:1'], tls: { ca: 42 } }, /"tls.ca" must be a PEM string or Buffer/],
    ['tls.cert', { endpoints: ['a:1'], tls: { cert: 'x' } }, /"tls.cert" and "tls.key" go together/],
    ['handlerTimeoutMs', { endpoints: ['a:1'], handlerTimeoutMs: 0 }, /"handlerTimeoutMs" must be an integer >= 1 \(milliseconds\); got 0/],
    [
      'leaseLingerMs',
      { endpoints: ['a:1'], leaseLingerMs: -1 },
      /"leaseLingerMs" must be an integer >= 0 \(milliseconds\); got -1\. Use 0 to turn it off/,
    ],
    ['leaseLingerMs', { endpoints: ['a:1'], leaseLingerMs: 1.5 }, /"leaseLingerMs" must be an integer >= 0/],
    [
      'antiEntropyIntervalMs',
      { endpoints: ['a:1'], antiEntropyIntervalMs: -1 },
      /"antiEntropyIntervalMs" must be an integer >= 0 \(milliseconds\); got -1\. Use 0 to turn it off/,
    ],
    ['antiEntropyIntervalMs', { endpoints: ['a:1'], antiEntropyIntervalMs: '300000' }, /"antiEntropyIntervalMs" must be an integer >= 0/],
    ['logger', { endpoints: ['a:1'], logger: {} }, /"logger" must have log, warn and error/],
  ];

  it.each(cases)('names option %s and the fix', (option, input, message) => {
    let error: unknown;
    try {
      resolveRegistryOptions(input as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RegistryOptionsError);
    expect((error as RegistryOptionsError).option).toBe(option);
    expect((error as Error).message).toMatch(message);
  });

  it('never echoes the password in an error', () => {
    expect(() => resolveRegistryOptions({ endpoints: [], username: 'u', password: 'secret-pw' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('secret-pw') }),
    );
  });
});
