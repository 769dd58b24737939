import { RegistryOptionsError } from '../../lib';
import { resolveEtcdRegistryModuleOptions } from '../../lib/options/etcd-registry.options';

const base = { endpoints: ['127.0.0.1:2379'] };
const fixedId = () => 'fixed-id';
const resolve = (service: Record<string, unknown>) =>
  resolveEtcdRegistryModuleOptions({ ...base, service: { name: 'users', address: '10.0.0.5:3000', ...service } }, fixedId).service;

function optionError(service: Record<string, unknown>): RegistryOptionsError {
  try {
    resolve(service);
  } catch (e) {
    if (e instanceof RegistryOptionsError) return e;
    throw e;
  }
  throw new Error('expected a RegistryOptionsError');
}

describe('service.codec and the instance fields', () => {
  it('without them: exactly the plain value of before (no codec on the resolved service)', () => {
    expect(resolve({})).toEqual({
      name: 'users',
      id: 'fixed-id',
      address: '10.0.0.5:3000',
      prefix: '/services/',
      value: '10.0.0.5:3000',
      key: '/services/users/fixed-id',
    });
  });

  it('codec "etcd-service" given explicitly writes the same plain value', () => {
    expect(resolve({ codec: 'etcd-service' })).toMatchObject({
      value: '10.0.0.5:3000',
      key: '/services/users/fixed-id',
      codec: 'etcd-service',
    });
  });

  it('codec "json" writes the JSON value with the fields given', () => {
    const s = resolve({
      codec: 'json',
      version: '1.2.0',
      zone: 'z1',
      weight: 5,
      metadata: { team: 'a' },
      endpoints: ['http://10.0.0.5:3000'],
    });
    expect(s?.key).toBe('/services/users/fixed-id');
    expect(JSON.parse(s!.value)).toEqual({
      v: 1,
      address: '10.0.0.5:3000',
      endpoints: ['http://10.0.0.5:3000'],
      version: '1.2.0',
      metadata: { team: 'a' },
      zone: 'z1',
      weight: 5,
      status: 'up',
    });
  });

  it('codec "grpc-naming" keys the instance by its address', () => {
    expect(resolve({ codec: 'grpc-naming' })).toMatchObject({
      id: '10.0.0.5:3000',
      key: '/services/users/10.0.0.5:3000',
      value: '{"Op":0,"Addr":"10.0.0.5:3000","Metadata":null}',
      codec: 'grpc-naming',
    });
  });

  it('service.target names the grpc-naming target as Go dials it, without the leading-slash rule of prefix', () => {
    expect(resolve({ codec: 'grpc-naming', target: 'foo/bar/users' })).toMatchObject({
      key: 'foo/bar/users/10.0.0.5:3000',
      prefix: 'foo/bar/',
      id: '10.0.0.5:3000',
    });
    expect(resolve({ codec: 'grpc-naming', target: 'users' })).toMatchObject({ key: 'users/10.0.0.5:3000', prefix: '' });
  });

  it.each([
    ['service.codec', { codec: 'consul' }, 'must be one of'],
    ['service.codec', { codec: 'kratos' }, 'can be read but not written'],
    ['service.codec', { version: '1.0.0' }, 'cannot carry "service.version": set service.codec to "json"'],
    ['service.value', { codec: 'json', value: 'x' }, 'exclude each other'],
    ['service.id', { codec: 'grpc-naming', id: 'n1' }, 'the address is the id'],
    ['service.prefix', { codec: 'grpc-naming', target: 'a/users', prefix: '/a/' }, 'exclude each other'],
    ['service.target', { codec: 'grpc-naming', target: 'a/other' }, 'ending with the service name'],
    ['service.codec', { target: 'a/users' }, 'cannot carry "service.target"'],
    ['service.address', { codec: 'json', address: 'localhost' }, 'host:port'],
    ['service.weight', { codec: 'json', weight: -1 }, 'a number >= 0'],
    ['service.status', { codec: 'json', status: 'gone' }, '"up" or "draining"'],
    ['service.endpoints', { codec: 'json', endpoints: 'http://h:1' }, 'an array of URLs'],
    ['service.metadata', { codec: 'json', metadata: { n: 1 } }, 'an object of strings'],
  ])('rejects %s: %j', (option, service, fix) => {
    const e = optionError(service);
    expect(e.option).toBe(option);
    expect(e.message).toContain(fix);
  });
});
