import {
  INSTANCE_CODECS,
  InstanceEntry,
  RegistryArgumentError,
  RegistryOptionsError,
  encodeRegistration,
  resolveInstanceCodec,
} from '../../lib/core';
import { INSTANCE_CODEC_NAMES, isInstanceCodecName } from '../../lib/core/instances/instance-codec-names';

const entry = (key: string, value: string, revision = '7'): InstanceEntry => ({ key, value, revision });
const decode = (codec: keyof typeof INSTANCE_CODECS, key: string, value: string) => INSTANCE_CODECS[codec].decode(entry(key, value));
const reason = (codec: keyof typeof INSTANCE_CODECS, key: string, value: string): string => {
  try {
    decode(codec, key, value);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('decoded without error');
};

describe('etcd-service codec (the default)', () => {
  it('reads plain host:port under {prefix}{name}/{id}, with key, value, revision and defaults', () => {
    const [i] = decode('etcd-service', '/services/user-service/host-1', '10.0.0.5:3000');
    expect(i).toEqual({
      name: 'user-service',
      id: 'host-1',
      address: '10.0.0.5:3000',
      endpoints: [],
      version: undefined,
      metadata: {},
      zone: undefined,
      weight: 1,
      status: 'up',
      key: '/services/user-service/host-1',
      value: '10.0.0.5:3000',
      revision: '7',
      codec: 'etcd-service',
    });
    expect(Object.isFrozen(i)).toBe(true);
  });

  it('reads a URL value as its host:port and one endpoint; IPv6 and names too', () => {
    expect(decode('etcd-service', '/s/a/1', 'grpc://10.0.0.5:5000')[0]).toMatchObject({
      address: '10.0.0.5:5000',
      endpoints: ['grpc://10.0.0.5:5000'],
    });
    expect(decode('etcd-service', '/s/a/1', 'http://users.internal')[0].address).toBe('users.internal:80');
    expect(decode('etcd-service', '/s/a/1', '[::1]:3000')[0].address).toBe('[::1]:3000');
  });

  it.each([
    ['a JSON value', '/s/a/1', '{"v":1,"address":"10.0.0.5:3000"}', 'is not host:port'],
    ['no port', '/s/a/1', '10.0.0.5', 'is not host:port'],
    ['port 0', '/s/a/1', '10.0.0.5:0', 'is not host:port'],
    ['port over 65535', '/s/a/1', '10.0.0.5:70000', 'is not host:port'],
    ['an empty value', '/s/a/1', '', 'is not host:port'],
    ['a key without a name segment', 'lonely', '10.0.0.5:1', 'does not end with {name}/{id}'],
    ['a key ending with /', '/s/a/', '10.0.0.5:1', 'does not end with {name}/{id}'],
  ])('skips %s, with the reason', (_what, key, value, expected) => {
    expect(reason('etcd-service', key, value)).toContain(expected);
  });

  it('writes plain host:port under {prefix}{name}/{id}', () => {
    expect(encodeRegistration({ prefix: '/services/', name: 'a', id: 'i1', address: '10.0.0.5:3000' })).toEqual({
      path: '/services/a/i1',
      value: '10.0.0.5:3000',
      codec: 'etcd-service',
    });
  });
});

describe('json codec', () => {
  const full = {
    v: 1,
    address: '10.0.0.5:3000',
    endpoints: ['http://10.0.0.5:3000', 'grpc://10.0.0.5:5000'],
    version: '1.4.2',
    metadata: { team: 'users' },
    zone: 'eu-west-1a',
    weight: 50,
    status: 'draining' as const,
  };

  it('round-trips every field through encodeRegistration and decode', () => {
    const { path, value } = encodeRegistration({ prefix: '/services/', name: 'users', id: 'n1', codec: 'json', ...full });
    expect(JSON.parse(value)).toEqual(full);
    const [i] = decode('json', path, value);
    const { v: _v, ...fields } = full;
    expect(i).toMatchObject({ name: 'users', id: 'n1', ...fields, codec: 'json' });
  });

  it('writes v, address and status "up" at least', () => {
    const { value } = encodeRegistration({ prefix: '/services/', name: 'users', id: 'n1', address: '10.0.0.5:3000', codec: 'json' });
    expect(JSON.parse(value)).toEqual({ v: 1, address: '10.0.0.5:3000', status: 'up' });
  });

  it('takes the address from the first endpoint with host and port when "address" is absent', () => {
    expect(decode('json', '/s/a/1', '{"v":1,"endpoints":["http://h1:8080"]}')[0].address).toBe('h1:8080');
  });

  it('reads a plain host:port value as etcdService does (mixed prefixes)', () => {
    expect(decode('json', '/services/go-svc/1', '10.0.0.9:8080')[0]).toMatchObject({ address: '10.0.0.9:8080', codec: 'etcd-service' });
  });

  it.each([
    ['broken JSON', '{"v":1,', 'is not JSON'],
    ['an unknown format version', '{"v":2,"address":"h:1"}', 'format version 2 is not supported'],
    ['no version', '{"address":"h:1"}', 'format version undefined'],
    ['no address at all', '{"v":1}', 'has no address'],
    ['an endpoint without scheme', '{"v":1,"address":"h:1","endpoints":["h:1"]}', '"endpoints[0]" must be a URL'],
    ['a negative weight', '{"v":1,"address":"h:1","weight":-1}', '"weight" must be a number >= 0'],
    ['an unknown status', '{"v":1,"address":"h:1","status":"down"}', '"status" must be "up" or "draining"'],
    ['metadata that is not strings', '{"v":1,"address":"h:1","metadata":{"n":1}}', '"metadata.n" must be a string'],
    ['a JSON array', '[1]', 'is not host:port'],
  ])('skips %s, with the reason', (_what, value, expected) => {
    expect(reason('json', '/s/a/1', value)).toContain(expected);
  });
});

describe('go-zero codec', () => {
  it('reads {key}/{leaseID} with a plain address', () => {
    expect(decode('go-zero', 'user.rpc/7587869911462364421', '10.0.0.7:8080')[0]).toMatchObject({
      name: 'user.rpc',
      id: '7587869911462364421',
      address: '10.0.0.7:8080',
      codec: 'go-zero',
    });
  });

  it('skips an id that is not a lease id', () => {
    expect(reason('go-zero', 'user.rpc/abc', '10.0.0.7:8080')).toContain('is not a decimal number');
  });

  it('cannot be written', () => {
    expect(() => encodeRegistration({ prefix: '/s/', name: 'a', id: '1', address: 'h:1', codec: 'go-zero' })).toThrow(
      expect.objectContaining({ option: 'service.codec', message: expect.stringContaining('can be read but not written') }),
    );
  });
});

describe('kratos codec', () => {
  const value = JSON.stringify({
    id: 'k1',
    name: 'helloworld',
    version: 'v1.0.0',
    metadata: { weight: '20', zone: 'z1', app: 'x' },
    endpoints: ['http://10.0.0.8:8000?isSecure=false', 'grpc://10.0.0.8:9000?isSecure=false'],
  });

  it('reads registry.ServiceInstance JSON: address of the first endpoint, zone and weight from metadata', () => {
    expect(decode('kratos', '/microservices/helloworld/k1', value)[0]).toMatchObject({
      name: 'helloworld',
      id: 'k1',
      address: '10.0.0.8:8000',
      endpoints: ['http://10.0.0.8:8000?isSecure=false', 'grpc://10.0.0.8:9000?isSecure=false'],
      version: 'v1.0.0',
      metadata: { weight: '20', zone: 'z1', app: 'x' },
      zone: 'z1',
      weight: 20,
      codec: 'kratos',
    });
  });

  it('skips an instance without endpoints', () => {
    expect(reason('kratos', '/microservices/a/1', '{"id":"1","name":"a","endpoints":[]}')).toContain('has no address');
  });
});

describe('go-micro codec', () => {
  it('reads registry.Service JSON, one instance per node, service metadata merged with the node', () => {
    const value = JSON.stringify({
      name: 'go.micro.srv.greeter',
      version: 'latest',
      metadata: { a: 's' },
      endpoints: [{ name: 'Greeter.Hello', request: null, response: null, metadata: {} }],
      nodes: [{ id: 'greeter-1', address: '10.0.0.9:41023', metadata: { protocol: 'grpc', a: 'n' } }],
    });
    const instances = decode('go-micro', '/micro/registry/go.micro.srv.greeter/greeter-1', value);
    expect(instances).toHaveLength(1);
    expect(instances[0]).toMatchObject({
      name: 'go.micro.srv.greeter',
      id: 'greeter-1',
      address: '10.0.0.9:41023',
      endpoints: [],
      version: 'latest',
      metadata: { a: 'n', protocol: 'grpc' },
      codec: 'go-micro',
    });
  });

  it('reads a v1 node with a separate port', () => {
    const value = JSON.stringify({ name: 's', nodes: [{ id: 'n', address: '10.0.0.9', port: 8080 }] });
    expect(decode('go-micro', '/micro/registry/s/n', value)[0].address).toBe('10.0.0.9:8080');
  });

  it('skips a service without nodes', () => {
    expect(reason('go-micro', '/micro/registry/s/n', '{"name":"s","nodes":[]}')).toContain('"nodes" holds no node');
  });
});

describe('grpc-naming codec', () => {
  it('reads {"Op":0,"Addr":...,"Metadata":...} under {target}/{addr}', () => {
    const value = '{"Op":0,"Addr":"10.0.0.5:5000","Metadata":{"zone":"z","n":3}}';
    expect(decode('grpc-naming', '/services/greeter/10.0.0.5:5000', value)[0]).toMatchObject({
      name: 'greeter',
      id: '10.0.0.5:5000',
      address: '10.0.0.5:5000',
      metadata: { zone: 'z', n: '3' },
      zone: 'z',
      codec: 'grpc-naming',
    });
    expect(decode('grpc-naming', 'greeter/h:1', '{"Op":0,"Addr":"h:1","Metadata":null}')[0].metadata).toEqual({});
  });

  it('skips a Delete op', () => {
    expect(reason('grpc-naming', '/s/g/h:1', '{"Op":1,"Addr":"h:1"}')).toContain('Op 1 is not an Add (0)');
  });

  it('writes the naming Update under {prefix}{name}/{address}; version, zone and weight in Metadata', () => {
    const plain = encodeRegistration({
      prefix: '/services/',
      name: 'greeter',
      id: 'ignored',
      address: '10.0.0.5:5000',
      codec: 'grpc-naming',
    });
    expect(plain).toEqual({
      path: '/services/greeter/10.0.0.5:5000',
      value: '{"Op":0,"Addr":"10.0.0.5:5000","Metadata":null}',
      codec: 'grpc-naming',
    });
    const rich = encodeRegistration({
      prefix: '/services/',
      name: 'greeter',
      id: 'x',
      address: '10.0.0.5:5000',
      codec: 'grpc-naming',
      version: '2',
      zone: 'z',
      weight: 3,
      metadata: { a: 'b' },
    });
    expect(JSON.parse(rich.value)).toEqual({ Op: 0, Addr: '10.0.0.5:5000', Metadata: { a: 'b', version: '2', zone: 'z', weight: '3' } });
    expect(decode('grpc-naming', rich.path, rich.value)[0]).toMatchObject({ version: '2', zone: 'z', weight: 3 });
  });

  it.each([
    ['foo/bar/greeter', 'foo/bar/greeter/10.0.0.5:5000'],
    ['greeter', 'greeter/10.0.0.5:5000'],
    ['/services/greeter', '/services/greeter/10.0.0.5:5000'],
  ])("writes under the target as Go dials it (etcd:///%s): key %s, read back with the target's last segment as name", (target, key) => {
    const r = encodeRegistration({
      prefix: '/services/',
      name: 'greeter',
      id: 'x',
      address: '10.0.0.5:5000',
      codec: 'grpc-naming',
      target,
    });
    expect(r.path).toBe(key);
    expect(decode('grpc-naming', r.path, r.value)[0]).toMatchObject({ name: 'greeter', address: '10.0.0.5:5000' });
  });

  it.each([
    ['foo/bar/', 'no trailing'],
    ['foo//greeter', 'segments joined'],
    ['foo/bar/other', 'ending with the service name "greeter"'],
    ['', 'segments joined'],
  ])('refuses target %j, naming service.target and the fix', (target, fix) => {
    const call = () =>
      encodeRegistration({ prefix: '/services/', name: 'greeter', id: 'x', address: '10.0.0.5:5000', codec: 'grpc-naming', target });
    expect(call).toThrow(RegistryOptionsError);
    expect(call).toThrow(/Option "service\.target"/);
    expect(call).toThrow(fix);
  });

  it('refuses a target with another codec: only grpc-naming has one', () => {
    const call = () => encodeRegistration({ prefix: '/s/', name: 'g', id: 'x', address: 'h:1', codec: 'json', target: 'a/g' });
    expect(call).toThrow('applies only with codec "grpc-naming"');
  });
});

describe('codec choice and registration fields', () => {
  it('resolves names and custom codec objects; refuses anything else naming the argument', () => {
    expect(resolveInstanceCodec(undefined).name).toBe('etcd-service');
    const custom = { name: 'mine', decode: () => [] };
    expect(resolveInstanceCodec(custom)).toBe(custom);
    for (const bad of ['consul', 'toString', 42, null, { name: 'x' }, { decode: () => [] }]) {
      expect(() => resolveInstanceCodec(bad as never)).toThrow(RegistryArgumentError);
    }
    expect(() => resolveInstanceCodec('consul' as never)).toThrow(/Argument "codec" must be one of "etcd-service", "json"/);
  });

  it.each([
    ['address', { address: 'no-port' }, 'service.address'],
    ['endpoints', { endpoints: ['10.0.0.5:3000'] }, 'service.endpoints'],
    ['version', { version: '' }, 'service.version'],
    ['zone', { zone: 3 }, 'service.zone'],
    ['metadata', { metadata: { a: 1 } }, 'service.metadata'],
    ['weight', { weight: Number.NaN }, 'service.weight'],
    ['status', { status: 'down' }, 'service.status'],
    ['codec', { codec: 'consul' }, 'service.codec'],
  ])('refuses a bad %s with a RegistryOptionsError naming it', (_what, fields, option) => {
    const registration = { prefix: '/s/', name: 'a', id: '1', address: 'h:1', codec: 'json', ...fields } as never;
    expect(() => encodeRegistration(registration)).toThrow(RegistryOptionsError);
    expect(() => encodeRegistration(registration)).toThrow(expect.objectContaining({ option }));
  });
});

describe('INSTANCE_CODEC_NAMES (the CLI checks --codec against it without loading the codecs)', () => {
  it('lists the shipped codecs, in INSTANCE_CODECS order', () => {
    expect(INSTANCE_CODEC_NAMES).toEqual(Object.keys(INSTANCE_CODECS));
    expect(INSTANCE_CODEC_NAMES.every(isInstanceCodecName)).toBe(true);
    expect(['', 'JSON', 'toString', '__proto__'].some(isInstanceCodecName)).toBe(false);
  });
});
