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

const TABLE_HEADER = ['SERVICE', 'ID', 'ADDRESS', 'STATUS', 'ZONE', 'VERSION', 'WEIGHT', 'REVISION'];

/** The cells of the `ls` table's columns, by column. */
const TABLE_COLUMNS: readonly ((i: ServiceInstance) => string)[] = [
  (i) => printable(i.name),
  (i) => printable(i.id),
  (i) => printable(i.address),
  (i) => i.status,
  (i) => dash(i.zone),
  (i) => dash(i.version),
  (i) => String(i.weight),
  (i) => dash(i.revision),
];

/**
 * The `ls` table: one row per instance, laid out as table() lays it out. Built column by column
 * (one array per column, not one per row: a cold process makes 10,000 rows).
 */
export function instanceTable(instances: readonly ServiceInstance[]): string[] {
  const n = instances.length;
  const columns: string[][] = [];
  const widths: number[] = [];
  for (let c = 0; c < TABLE_COLUMNS.length; c++) {
    const cell = TABLE_COLUMNS[c];
    const column = new Array<string>(n + 1);
    column[0] = TABLE_HEADER[c];
    let width = column[0].length;
    for (let r = 0; r < n; r++) {
      const text = cell(instances[r]);
      column[r + 1] = text;
      if (text.length > width) width = text.length;
    }
    columns.push(column);
    widths.push(width);
  }
  const last = columns.length - 1;
  const lines = new Array<string>(n + 1);
  for (let r = 0; r <= n; r++) {
    let text = '';
    for (let c = 0; c < last; c++) text += columns[c][r].padEnd(widths[c]) + '  ';
    lines[r] = (text + columns[last][r]).trimEnd();
  }
  return lines;
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
