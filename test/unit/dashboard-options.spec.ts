import { RegistryOptionsError } from '../../lib';
import { resolveDashboardOptions } from '../../lib/dashboard/dashboard-options';
import { InstanceAges } from '../../lib/dashboard/dashboard-snapshot';
import { FrozenInstanceMap } from '../../lib/core/instances/instance-map';
import type { ServiceInstance } from '../../lib';

describe('EtcdRegistryDashboardModule options', () => {
  it('defaults: /registry, /services/, the json codec', () => {
    const o = resolveDashboardOptions();
    expect([o.path, o.prefix, o.codec.name]).toEqual(['/registry', '/services/', 'json']);
    expect(resolveDashboardOptions({ path: '/ops/registry/', codec: 'kratos' })).toEqual(
      expect.objectContaining({ path: '/ops/registry', codec: expect.objectContaining({ name: 'kratos' }) }),
    );
  });

  it.each([
    [{ path: 'registry' }, 'path'],
    [{ path: '/a b' }, 'path'],
    [{ prefix: '/services' }, 'prefix'],
    [{ codec: 'protobuf' as never }, 'codec'],
  ])('%j is refused naming the option', (options, option) => {
    expect(() => resolveDashboardOptions(options)).toThrow(RegistryOptionsError);
    expect(() => resolveDashboardOptions(options)).toThrow(new RegExp(`option "${option}"`));
  });
});

describe('instance ages on the page', () => {
  const instance = (id: string) => ({ name: 's', id, key: `/services/s/${id}`, value: 'v' }) as ServiceInstance;
  const map = (...ids: string[]) => new FrozenInstanceMap([['s', ids.map(instance)]], []);

  it('the first map is marked as seen at start; later arrivals are dated; a departure is forgotten', () => {
    const ages = new InstanceAges();
    expect(ages.apply(map('a'), 1000).map((r) => [r.id, r.firstSeenAt, r.seenAtStart])).toEqual([['a', 1000, true]]);
    expect(ages.apply(map('a', 'b'), 2000).map((r) => [r.id, r.firstSeenAt, r.seenAtStart])).toEqual([
      ['a', 1000, true],
      ['b', 2000, false],
    ]);
    ages.apply(map('b'), 3000);
    expect(ages.apply(map('a', 'b'), 4000).map((r) => [r.id, r.firstSeenAt, r.seenAtStart])).toEqual([
      ['a', 4000, false],
      ['b', 2000, false],
    ]);
  });
});
