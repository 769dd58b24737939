import { RegistryOptionsError } from '../../lib';
import { resolveDashboardOptions } from '../../lib/dashboard/dashboard-options';
import { DashboardRows, dashboardRowId } from '../../lib/dashboard/dashboard-snapshot';
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

describe("the page's rows, kept from change sets", () => {
  const instance = (id: string, address = '10.0.0.1:1') =>
    ({ name: 's', id, key: `/services/s/${id}`, value: 'v', address, status: 'up', weight: 1 }) as ServiceInstance;
  const map = (...list: ServiceInstance[]) => new FrozenInstanceMap([['s', list]], []);
  const changes = (added: string[], updated: string[], removed: string[]) => ({
    added: added.map((id) => `/services/s/${id}`),
    updated: updated.map((id) => `/services/s/${id}`),
    removed: removed.map((id) => `/services/s/${id}`),
  });
  const view = (rows: DashboardRows) => rows.all().map((r) => [r.id, r.address, r.firstSeenAt, r.seenAtStart]);

  it('the first map is seen at start; later arrivals are dated; a departure is forgotten; only changes are pending', () => {
    const rows = new DashboardRows();
    rows.apply(map(instance('a')), undefined, 1000);
    expect(view(rows)).toEqual([['a', '10.0.0.1:1', 1000, true]]);
    expect(rows.take().upsert.map((r) => r.id)).toEqual(['a']);
    rows.apply(map(instance('a'), instance('b')), changes(['b'], [], []), 2000);
    expect(view(rows)).toEqual([
      ['a', '10.0.0.1:1', 1000, true],
      ['b', '10.0.0.1:1', 2000, false],
    ]);
    rows.apply(map(instance('a', '10.0.0.2:2'), instance('b')), changes([], ['a'], []), 2500);
    const first = rows.take();
    expect([first.upsert.map((r) => [r.id, r.address, r.firstSeenAt]), first.remove]).toEqual([
      [
        ['b', '10.0.0.1:1', 2000],
        ['a', '10.0.0.2:2', 1000],
      ],
      [],
    ]);
    rows.apply(map(instance('b')), changes([], [], ['a']), 3000);
    rows.apply(map(instance('a'), instance('b')), changes(['a'], [], []), 4000);
    rows.apply(map(instance('b')), changes([], [], ['a']), 4100);
    // a came and went within one flush: sent once, as removed (coalesced).
    expect(rows.take()).toEqual({ upsert: [], remove: [dashboardRowId({ key: '/services/s/a', service: 's', id: 'a' })] });
    rows.apply(map(instance('a'), instance('b')), changes(['a'], [], []), 5000);
    expect(view(rows)).toEqual([
      ['b', '10.0.0.1:1', 2000, false],
      ['a', '10.0.0.1:1', 5000, false],
    ]);
    expect(rows.take().upsert.map((r) => r.id)).toEqual(['a']);
    expect(rows.take()).toEqual({ upsert: [], remove: [] });
  });
});
