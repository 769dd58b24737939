import fc from 'fast-check';
import { instanceTable, printable, table } from '../../lib/cli/instance-format';
import type { ServiceInstance } from '../../lib/core';

// The `ls` table is built column by column, as one join, for speed (lib/cli/instance-format.ts): it must
// be the text the plain table() gives for the same cells, control characters escaped, white space trimmed.
const cells = (i: ServiceInstance): string[] => {
  const dash = (v: string | undefined) => (v === undefined || v === '' ? '-' : printable(v));
  return [
    printable(i.name),
    printable(i.id),
    printable(i.address),
    i.status,
    dash(i.zone),
    dash(i.version),
    String(i.weight),
    dash(i.revision),
  ];
};
const HEADER = ['SERVICE', 'ID', 'ADDRESS', 'STATUS', 'ZONE', 'VERSION', 'WEIGHT', 'REVISION'];

const instance = (fields: Partial<ServiceInstance>): ServiceInstance => ({
  name: 'svc',
  id: 'i1',
  address: '10.0.0.1:80',
  endpoints: [],
  metadata: {},
  weight: 1,
  status: 'up',
  key: 'svc/i1',
  value: '',
  codec: 'json',
  ...fields,
});

describe('instanceTable (ls)', () => {
  it('is table() of the escaped cells, for any strings', () => {
    const text = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('', ' ', '\u001b[2J', 'a\nb', '\u2028', 'x\u00a0', 'é✓'));
    const arb = fc.record({
      name: text,
      id: text,
      address: text,
      zone: fc.option(text, { nil: undefined }),
      version: fc.option(text, { nil: undefined }),
      revision: fc.option(text, { nil: undefined }),
      weight: fc.constantFrom(0, 1, 2.5, 100),
      status: fc.constantFrom('up' as const, 'draining' as const),
    });
    fc.assert(
      fc.property(fc.array(arb, { maxLength: 8 }), (rows) => {
        const instances = rows.map(instance);
        expect(instanceTable(instances)).toEqual(table(HEADER, instances.map(cells)).join('\n'));
      }),
      { numRuns: 500 },
    );
  });

  it('lays out 300 rows as table() does (escapes, dashes, widths), and no rows as the header alone', () => {
    const instances = Array.from({ length: 300 }, (_, k) =>
      instance({
        name: `svc${k % 7}${k % 13 === 0 ? '\u001b[2J' : ''}`,
        id: `i${k}${k % 11 === 0 ? '  ' : ''}`,
        address: `10.0.0.${k}:80`,
        status: k % 5 ? 'up' : 'draining',
        zone: k % 3 ? `z${k}` : undefined,
        version: k % 4 ? '' : `1.${k}`,
        weight: k % 9,
        revision: k % 6 ? String(k) : undefined,
      }),
    );
    expect(instanceTable(instances)).toEqual(table(HEADER, instances.map(cells)).join('\n'));
    expect(instanceTable([])).toEqual(table(HEADER, []).join('\n'));
  });

  it('escapes a control character in one cell, pads the column to the escaped width', () => {
    const lines = instanceTable([instance({ id: 'a\u001bb', revision: '7' }), instance({ id: 'c', revision: '8' })]).split('\n');
    expect(lines[1]).toContain('a\\u001bb  ');
    expect(lines[2]).toMatch(/^svc {6}c {9}10\.0\.0\.1:80/);
  });
});
