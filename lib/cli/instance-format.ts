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

/** A cell as the instance gives it, before printable() (undefined and '' are `-`). */
const orDash = (v: string | undefined): string => (v === undefined || v === '' ? '-' : v);

/** The cells of the `ls` table's columns, by column, and whether printable() applies to the column. */
const TABLE_COLUMNS: readonly [(i: ServiceInstance) => string, boolean][] = [
  [(i) => i.name, true],
  [(i) => i.id, true],
  [(i) => i.address, true],
  [(i) => i.status, false],
  [(i) => orDash(i.zone), true],
  [(i) => orDash(i.version), true],
  [(i) => String(i.weight), false],
  [(i) => orDash(i.revision), true],
];

/**
 * The `ls` table: one row per instance, laid out as table() lays it out (the same text). Built
 * column by column (one array per column, not one per row: a cold process makes 10,000 rows);
 * printable() runs on a column only when one test of the whole column finds a control character;
 * padding is a shared string of spaces per width, not a padded copy of each cell.
 */
export function instanceTable(instances: readonly ServiceInstance[]): string[] {
  const n = instances.length;
  const columns: string[][] = [];
  const widths: number[] = [];
  for (let c = 0; c < TABLE_COLUMNS.length; c++) {
    const [cell, escaped] = TABLE_COLUMNS[c];
    const column = new Array<string>(n + 1);
    column[0] = TABLE_HEADER[c];
    for (let r = 0; r < n; r++) column[r + 1] = cell(instances[r]);
    if (escaped && CONTROL.test(column.join(''))) for (let r = 1; r <= n; r++) column[r] = printable(column[r]);
    let width = 0;
    for (let r = 0; r <= n; r++) if (column[r].length > width) width = column[r].length;
    columns.push(column);
    widths.push(width);
  }
  const last = columns.length - 1;
  const gaps = spaces(Math.max(0, ...widths) + 2);
  const lines = new Array<string>(n + 1);
  for (let r = 0; r <= n; r++) {
    let text = '';
    for (let c = 0; c < last; c++) {
      const cell = columns[c][r];
      text += cell + gaps[widths[c] - cell.length + 2];
    }
    const end = columns[last][r];
    const code = end.charCodeAt(end.length - 1);
    // trimEnd (as table() does) only matters when the row ends in white space: a last cell that is empty or ends in it.
    lines[r] = code > 0x20 && code < 0x7f ? text + end : (text + end).trimEnd();
  }
  return lines;
}

/** `spaces(n)[k]` is k spaces, for k from 0 to n. */
function spaces(n: number): string[] {
  const all = ' '.repeat(n);
  const list = new Array<string>(n + 1);
  for (let k = 0; k <= n; k++) list[k] = all.slice(0, k);
  return list;
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
