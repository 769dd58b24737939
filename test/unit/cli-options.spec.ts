import { CliUsageError, exitCodeOf } from '../../lib/cli/cli-errors';
import { parseCliOptions } from '../../lib/cli/cli-options';
import { skewBounds, skewExceeds } from '../../lib/cli/doctor/clock-skew';
import { diffInstances, indexInstances } from '../../lib/cli/instance-changes';
import { printable } from '../../lib/cli/instance-format';
import { RegistryAuthError, RegistryUnavailableError, ServiceInstance } from '../../lib';
import { INSTANCE_CODECS } from '../../lib/core';

describe('CLI options', () => {
  const env = { ETCD_ENDPOINTS: '10.0.0.1:2379,10.0.0.2:2379' };

  it('reads each option from its variable, a flag wins, an empty variable is unset', () => {
    const o = parseCliOptions(['ls', '--ttl-seconds', '7'], {
      ...env,
      ETCD_TTL_SECONDS: '3',
      ETCD_TIMEOUT_MS: '1500',
      ETCD_NAMESPACE: '/prod',
      ETCD_USERNAME: '',
      ETCD_PASSWORD: '',
    });
    expect(o.registry).toEqual({ endpoints: ['10.0.0.1:2379', '10.0.0.2:2379'], ttlSeconds: 7, timeoutMs: 1500, namespace: '/prod' });
    expect([o.prefix, o.codec, o.json, o.write]).toEqual(['/services/', 'json', false, false]);
    expect(parseCliOptions(['get', 'api/1', '--endpoints', 'h:1', '--json'], env)).toEqual(
      expect.objectContaining({ command: 'get', target: 'api/1', json: true, registry: expect.objectContaining({ endpoints: ['h:1'] }) }),
    );
  });

  it.each([
    [['ls'], {}, /ETCD_ENDPOINTS/],
    [['ls', '--endpoints', 'no-port'], {}, /invalid --endpoints \(ETCD_ENDPOINTS\)/],
    [['ls', '--timeout-ms', '1.5'], env, /--timeout-ms \(ETCD_TIMEOUT_MS\) must be a whole number/],
    [['ls'], { ...env, ETCD_PASSWORD: 'x' }, /invalid --password \(ETCD_PASSWORD\)/],
    [['ls', '--ca-file', '/nonexistent/ca.pem'], env, /--ca-file \(ETCD_CA_FILE\): cannot read "\/nonexistent\/ca.pem"/],
    [['ls', '--prefix', '/services'], env, /--prefix \(ETCD_PREFIX\) must start and end with "\/"/],
    [['get'], env, /get needs one argument/],
    [['ls', 'extra'], env, /ls takes no argument/],
    [['ls', '--bogus'], env, /Unknown option '--bogus'/],
  ])('%j is a usage error (exit 2) naming what is wrong', (argv, vars, message) => {
    let error: unknown;
    try {
      parseCliOptions(argv, vars);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CliUsageError);
    expect((error as Error).message).toMatch(message);
    expect(exitCodeOf(error)).toBe(2);
  });

  it('every shipped codec is accepted', () => {
    for (const codec of Object.keys(INSTANCE_CODECS)) expect(parseCliOptions(['ls', '--codec', codec], env).codec).toBe(codec);
  });

  it('errors map to the documented exit codes', () => {
    expect(exitCodeOf(new RegistryUnavailableError('x'))).toBe(3);
    expect(exitCodeOf(new RegistryAuthError('x'))).toBe(4);
    expect(exitCodeOf(new Error('3 INVALID_ARGUMENT: etcdserver: user name is empty'))).toBe(4);
    expect(exitCodeOf(new Error('boom'))).toBe(1);
  });
});

describe('clock skew bounds', () => {
  it('one sample: etcd wrote the header between send and receive, within the second it names', () => {
    expect(skewBounds([{ sentAt: 10_000, receivedAt: 10_010, serverDate: 10_000 }])).toEqual({ low: -10, high: 1000 });
  });

  it('samples at other fractions of a second narrow the range', () => {
    // etcd's clock is 300 ms ahead: its Date header names the second of local time + 300 ms.
    const samples = [0, 170, 340, 510, 680, 850].map((t) => {
      const sentAt = 50_000 + t;
      return { sentAt, receivedAt: sentAt + 5, serverDate: Math.floor((sentAt + 2 + 300) / 1000) * 1000 };
    });
    const b = skewBounds(samples);
    expect(b.low).toBeLessThanOrEqual(300);
    expect(b.high).toBeGreaterThanOrEqual(300);
    expect(b.high - b.low).toBeLessThan(200);
  });

  it('fails only when the skew is certainly over the limit', () => {
    expect(skewExceeds({ low: 1200, high: 1400 }, 1000)).toBe(true);
    expect(skewExceeds({ low: -3000, high: -1500 }, 1000)).toBe(true);
    expect(skewExceeds({ low: 800, high: 1400 }, 1000)).toBe(false);
  });
});

describe('watch output', () => {
  const instance = (id: string, value: string, revision: string) =>
    ({ name: 's', id, key: `/services/s/${id}`, value, revision }) as ServiceInstance;

  it('diffs instances: removed, then added and changed (value or revision)', () => {
    const before = indexInstances([instance('a', 'v', '1'), instance('b', 'v', '2'), instance('c', 'v', '3')]);
    const changes = diffInstances(before, [instance('a', 'v', '1'), instance('b', 'v', '9'), instance('d', 'v', '4')]);
    expect(changes.map((c) => [c.type, c.instance.id])).toEqual([
      ['removed', 'c'],
      ['changed', 'b'],
      ['added', 'd'],
    ]);
  });

  it('control characters of a value are escaped for the terminal', () => {
    expect(printable('a\u001b[2Jb\nc\u009bd')).toBe('a\\u001b[2Jb\\u000ac\\u009bd');
  });
});
