import { startupCheckPrefixes, PROBE_SUFFIX } from '../../lib/lifecycle/startup-check';

describe('startupCheckPrefixes', () => {
  const service = { name: 'a', id: 'i', address: 'h:1', prefix: '/services/', value: 'h:1', key: '/services/a/i' };

  it('reads only what the app uses: its own key space and an empty range under each watched prefix', () => {
    expect(startupCheckPrefixes(service, ['/w/', '/v/'])).toEqual(['/services/a/i/', `/w/${PROBE_SUFFIX}`, `/v/${PROBE_SUFFIX}`]);
    expect(startupCheckPrefixes(undefined, ['/w/', '/w/'])).toEqual([`/w/${PROBE_SUFFIX}`]);
  });

  it('nothing to check for an app that neither registers nor watches', () => {
    expect(startupCheckPrefixes(undefined, [])).toEqual([]);
  });
});
