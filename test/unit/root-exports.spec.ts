import { join } from 'path';
import { exportedNames } from '../support/exported-names';

jest.setTimeout(60_000);

const LIB = join(__dirname, '..', '..', 'lib');

/** At most about 60 names at the root (the model packages export 10-41); the rest of the core is at `/core`. */
const ROOT_EXPORTS_MAX = 60;

describe('the root entry: what an application uses, no internals', () => {
  let root: string[];
  let core: string[];
  beforeAll(() => {
    root = exportedNames(join(LIB, 'index.ts'));
    core = exportedNames(join(LIB, 'core', 'index.ts'));
  });

  it(`exports at most ${ROOT_EXPORTS_MAX} names (values and types)`, () => {
    expect(root.length).toBeLessThanOrEqual(ROOT_EXPORTS_MAX);
  });

  it('exports the Nest face, the registry, the instance model, the balancer and the errors', () => {
    expect(root).toEqual(
      expect.arrayContaining([
        'EtcdRegistryModule',
        'RegistryService',
        'WatchServices',
        'EtcdRegistryModuleOptions',
        'createRegistry',
        'ServiceMap',
        'MapChanges',
        'InstanceMap',
        'ServiceInstance',
        'LoadBalancer',
        'RegistryEvent',
        'RegistryError',
        'NoLiveInstanceError',
      ]),
    );
  });

  it('exports no internal: decoders, resolvers and their Resolved* types, field lists, module tokens', () => {
    const internal = root.filter(
      (n) =>
        /^resolve[A-Z]/.test(n) ||
        /^Resolved[A-Z]/.test(n) ||
        ['InstanceDecoder', 'REGISTRATION_FIELDS', 'encodeRegistration', 'ETCD_REGISTRY_MODULE_OPTIONS', 'RegistryEvents'].includes(n),
    );
    expect(internal).toEqual([]);
  });

  it('every core name at the root is also at `nestjs-etcd-registry/core` (the root adds only the Nest face)', () => {
    const nest = [
      'EtcdRegistryModule',
      'RegistryService',
      'WatchServices',
      'WatchServicesOptions',
      'ETCD_CLIENT',
      'ETCD_REGISTRY',
      'EtcdRegistryModuleOptions',
      'EtcdRegistryOptionsFactory',
      'EtcdRegistryServiceOptions',
    ];
    expect(root.filter((n) => !nest.includes(n) && !core.includes(n))).toEqual([]);
  });
});
