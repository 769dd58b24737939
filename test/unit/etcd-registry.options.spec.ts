import { DEFAULT_TIMEOUT_MS, RegistryOptionsError, resolveRegistryOptions } from '../../lib/core';
import { defaultInstanceId, resolveEtcdRegistryModuleOptions } from '../../lib/options/etcd-registry.options';
import type { EtcdRegistryModuleOptions } from '../../lib/options/interfaces';

const base = { endpoints: ['127.0.0.1:23790'] };
const fixedId = () => 'fixed-id';

function optionError(options: unknown): RegistryOptionsError {
  try {
    resolveEtcdRegistryModuleOptions(options as EtcdRegistryModuleOptions, fixedId);
  } catch (e) {
    expect(e).toBeInstanceOf(RegistryOptionsError);
    return e as RegistryOptionsError;
  }
  throw new Error('expected a RegistryOptionsError');
}

describe('resolveEtcdRegistryModuleOptions', () => {
  it('applies the defaults: prefix /services/, value = address, generated id, autoRegister true', () => {
    const r = resolveEtcdRegistryModuleOptions({ ...base, service: { name: 'user-service', address: '10.0.0.5:3000' } }, fixedId);
    expect(r.autoRegister).toBe(true);
    expect(r.service).toEqual({
      name: 'user-service',
      id: 'fixed-id',
      address: '10.0.0.5:3000',
      prefix: '/services/',
      value: '10.0.0.5:3000',
      key: '/services/user-service/fixed-id',
    });
  });

  it('keeps the given id, prefix, value and autoRegister', () => {
    const r = resolveEtcdRegistryModuleOptions(
      { ...base, autoRegister: false, service: { name: 'a', id: 'i1', address: 'h:1', prefix: '/prod/svc/', value: '{"x":1}' } },
      fixedId,
    );
    expect(r.autoRegister).toBe(false);
    expect(r.service?.key).toBe('/prod/svc/a/i1');
    expect(r.service?.value).toBe('{"x":1}');
  });

  it('resolves the core options once, with the core resolver (defaults applied), without service and autoRegister', () => {
    const logger = { log() {}, warn() {}, error() {} };
    const r = resolveEtcdRegistryModuleOptions(
      { ...base, ttlSeconds: 3, password: 'p', username: 'u', logger, autoRegister: true },
      fixedId,
    );
    expect(r.registry).toEqual(resolveRegistryOptions({ ...base, ttlSeconds: 3, password: 'p', username: 'u', logger }));
    expect(r.registry.timeoutMs).toBe(DEFAULT_TIMEOUT_MS);
    expect(r.registry.hosts).toEqual(['http://127.0.0.1:23790']);
    expect(r.registry.logger).toBe(logger);
    expect(r.service).toBeUndefined();
  });

  it('gives the core the default logger only when none is set', () => {
    const fallback = { log() {}, warn() {}, error() {} };
    const own = { log() {}, warn() {}, error() {} };
    expect(resolveEtcdRegistryModuleOptions(base, fixedId, fallback).registry.logger).toBe(fallback);
    expect(resolveEtcdRegistryModuleOptions({ ...base, logger: own }, fixedId, fallback).registry.logger).toBe(own);
  });

  it('rejects a bad core option at once, naming it (no second resolution later)', () => {
    expect(optionError({ ...base, ttlSeconds: 0 }).option).toBe('ttlSeconds');
    expect(optionError({ endpoints: 'a:1,b:2' }).option).toBe('endpoints');
  });

  it('generates an id from hostname, pid and a random part, different each time', () => {
    const a = defaultInstanceId();
    expect(a).toMatch(new RegExp(`-${process.pid}-[0-9a-f]{6}$`));
    expect(a).not.toContain('/');
    expect(defaultInstanceId()).not.toBe(a);
    const r = resolveEtcdRegistryModuleOptions({ ...base, service: { name: 's', address: 'h:1' } });
    expect(r.service?.id).toMatch(new RegExp(`-${process.pid}-[0-9a-f]{6}$`));
  });

  it.each([
    ['options', null],
    ['service', { ...base, service: 'user-service' }],
    ['service.name', { ...base, service: { address: 'h:1' } }],
    ['service.name', { ...base, service: { name: 'a/b', address: 'h:1' } }],
    ['service.id', { ...base, service: { name: 'a', id: '', address: 'h:1' } }],
    ['service.id', { ...base, service: { name: 'a', id: 'x/y', address: 'h:1' } }],
    ['service.address', { ...base, service: { name: 'a' } }],
    ['service.address', { ...base, service: { name: 'a', address: 3000 } }],
    ['service.prefix', { ...base, service: { name: 'a', address: 'h:1', prefix: '/services' } }],
    ['service.prefix', { ...base, service: { name: 'a', address: 'h:1', prefix: 'services/' } }],
    ['service.value', { ...base, service: { name: 'a', address: 'h:1', value: '' } }],
    ['autoRegister', { ...base, autoRegister: 'yes' }],
  ])('rejects a bad %s with a message naming it', (option, options) => {
    const e = optionError(options);
    expect(e.option).toBe(option);
    if (option !== 'options') expect(e.message).toContain(`"${option}"`);
  });

  it.each([
    ['both empty strings (ETCD_USERNAME= ETCD_PASSWORD=)', '', ''],
    ['an empty username, no password', '', undefined],
    ['no username, an empty password', undefined, ''],
  ])('credentials: %s mean no auth', (_case, username, password) => {
    const r = resolveEtcdRegistryModuleOptions({ ...base, username, password }, fixedId);
    expect(r.registry.username).toBeUndefined();
    expect(r.registry.password).toBeUndefined(); // and the core's resolver (run inside) accepted the rest
  });

  it.each([
    ['username', { username: '', password: 'pw' }, 'password'],
    ['username', { password: 'pw' }, 'password'],
    ['password', { username: 'u', password: '' }, 'username'],
    ['password', { username: 'u' }, 'username'],
  ])('credentials: %s empty while the other is set is an error naming both', (option, credentials, set) => {
    const e = optionError({ ...base, ...credentials });
    expect(e.option).toBe(option);
    expect(e.message).toContain('"username" and "password"');
    expect(e.message).toContain(`"${set}" is set but "${option}" is empty`);
    expect(e.message).not.toContain('pw');
  });

  it('says how to fix a prefix without a trailing slash', () => {
    expect(optionError({ ...base, service: { name: 'a', address: 'h:1', prefix: '/svc' } }).message).toMatch(/ends? with "\/"/);
  });
});
