import type { InstanceMap, ServiceInstance } from '../core';

// eslint-disable-next-line no-control-regex -- matching control characters is the point: they get escaped
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const CONTROLS = new RegExp(CONTROL.source, 'g');

/**
 * A value from etcd made safe for a terminal: control characters (an escape sequence could
 * rewrite the screen) are shown as \u escapes. Instance values are untrusted input.
 */
export function printable(text: string): string {
  // Tested first: `ls` prints 60,000 cells that almost never hold one, and a test is cheaper than a replace.
  return CONTROL.test(text) ? text.replace(CONTROLS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : text;
}

/** `service/id`, how the CLI names one instance. */
export const instanceName = (i: ServiceInstance): string => printable(`${i.name}/${i.id}`);

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h) => h.length);
  for (const row of rows) for (let c = 0; c < widths.length; c++) if (row[c].length > widths[c]) widths[c] = row[c].length;
  // A loop, not map/join: a cold process runs this once per instance (10,000 rows).
  const line = (cells: readonly string[]) => {
    if (cells.length === 0) return '';
    const last = cells.length - 1;
    let text = '';
    for (let c = 0; c < last; c++) text += cells[c].padEnd(widths[c]) + '  ';
    return (text + cells[last]).trimEnd();
  };
  return [line(header)].concat(rows.map(line));
}

const dash = (v: string | undefined): string => (v === undefined || v === '' ? '-' : printable(v));

/** The `ls` table: one row per instance. */
export function instanceTable(instances: readonly ServiceInstance[]): string[] {
  return table(
    ['SERVICE', 'ID', 'ADDRESS', 'STATUS', 'ZONE', 'VERSION', 'WEIGHT', 'REVISION'],
    instances.map((i) => [
      printable(i.name),
      printable(i.id),
      printable(i.address),
      i.status,
      dash(i.zone),
      dash(i.version),
      String(i.weight),
      dash(i.revision),
    ]),
  );
}

/** One instance on one line, for `watch`. */
export function instanceLine(i: ServiceInstance): string {
  const extra = [i.version && `v${printable(i.version)}`, i.zone && `zone=${printable(i.zone)}`, i.revision && `rev ${i.revision}`].filter(
    Boolean,
  );
  return [instanceName(i), printable(i.address), i.status, ...extra].join('  ');
}

/** Every field of one instance, for `get`. */
export function instanceDetail(i: ServiceInstance): string[] {
  const metadata = Object.entries(i.metadata)
    .map(([k, v]) => `${printable(k)}=${printable(v)}`)
    .join(', ');
  const fields: [string, string][] = [
    ['key', printable(i.key)],
    ['address', printable(i.address)],
    ['endpoints', i.endpoints.length ? i.endpoints.map(printable).join(', ') : '-'],
    ['status', i.status],
    ['version', dash(i.version)],
    ['zone', dash(i.zone)],
    ['weight', String(i.weight)],
    ['metadata', metadata || '-'],
    ['codec', printable(i.codec)],
    ['revision', dash(i.revision)],
    ['value', printable(i.value)],
  ];
  return [instanceName(i), ...fields.map(([k, v]) => `  ${k.padEnd(10)}${v}`)];
}

/** The lines listing the entries a codec skipped. */
export function skippedLines(map: InstanceMap): string[] {
  return map.skipped.map((s) => `  ${printable(s.key)}: ${printable(s.reason)}`);
}

/** An instance as JSON output gives it (every field, revision included). */
export function instanceJson(i: ServiceInstance): Record<string, unknown> {
  return { ...i };
}
