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

/** Whether printable() applies to each column of the `ls` table (status and weight never need it). */
const ESCAPED_COLUMNS = [true, true, true, false, true, true, false, true];

/**
 * The `ls` table as one text: one row per instance, laid out as table() lays it out, rows joined
 * by newlines (the same text as `table(...).join('\n')`, which test/unit/instance-format.spec.ts
 * checks). Built for a cold process making 10,000 rows: the cells are read column by column in
 * one loop (no call per cell), then written as bytes into one buffer of spaces (asciiTable), which
 * costs a third of joining 170,000 cells and paddings; when a cell holds anything but printable
 * ASCII, escapedTable lays it out from strings instead.
 */
export function instanceTable(instances: readonly ServiceInstance[]): string {
  const n = instances.length;
  const columns: string[][] = TABLE_HEADER.map((h) => {
    const column = new Array<string>(n + 1);
    column[0] = h;
    return column;
  });
  const [names, ids, addresses, statuses, zones, versions, weights, revisions] = columns;
  for (let r = 0; r < n; r++) {
    const i = instances[r];
    names[r + 1] = i.name;
    ids[r + 1] = i.id;
    addresses[r + 1] = i.address;
    statuses[r + 1] = i.status;
    zones[r + 1] = orDash(i.zone);
    versions[r + 1] = orDash(i.version);
    weights[r + 1] = String(i.weight);
    revisions[r + 1] = orDash(i.revision);
  }
  return asciiTable(columns) ?? escapedTable(columns);
}

/** The widest cell of each column. */
function columnWidths(columns: readonly (readonly string[])[]): number[] {
  return columns.map((column) => {
    let width = 0;
    for (let r = 0; r < column.length; r++) if (column[r].length > width) width = column[r].length;
    return width;
  });
}

/**
 * The table of `columns` (cells by column, the header first) when every cell is printable ASCII
 * (nothing to escape; one byte per character) and no row ends in white space (nothing to trim):
 * each cell's characters copied into a buffer of spaces at its column's offset; undefined otherwise.
 */
function asciiTable(columns: readonly (readonly string[])[]): string | undefined {
  const widths = columnWidths(columns);
  const last = columns.length - 1;
  const rows = columns[0].length;
  const offsets: number[] = [];
  let prefix = 0;
  for (let c = 0; c < last; c++) {
    offsets.push(prefix);
    prefix += widths[c] + 2;
  }
  const ends = columns[last];
  let size = rows - 1;
  for (let r = 0; r < rows; r++) size += prefix + ends[r].length;
  const buffer = Buffer.alloc(size, 0x20);
  let start = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c <= last; c++) {
      const cell = columns[c][r];
      const at = start + (c < last ? offsets[c] : prefix);
      for (let k = 0; k < cell.length; k++) {
        const code = cell.charCodeAt(k);
        if (code < 0x20 || code > 0x7e) return undefined;
        buffer[at + k] = code;
      }
    }
    const end = ends[r];
    if (end.length === 0 || end.charCodeAt(end.length - 1) === 0x20) return undefined;
    start += prefix + end.length;
    if (r < rows - 1) buffer[start++] = 0x0a;
  }
  return buffer.toString('latin1');
}

/** The table of `columns` for any cells: control characters escaped (printable()), rows trimmed at the end, as table() does. */
function escapedTable(columns: string[][]): string {
  const rows = columns[0].length;
  for (let c = 0; c < columns.length; c++) {
    const column = columns[c];
    if (ESCAPED_COLUMNS[c] && CONTROL.test(column.join(''))) for (let r = 1; r < rows; r++) column[r] = printable(column[r]);
  }
  const widths = columnWidths(columns);
  const last = columns.length - 1;
  const lines = new Array<string>(rows);
  for (let r = 0; r < rows; r++) {
    let text = '';
    for (let c = 0; c < last; c++) text += columns[c][r].padEnd(widths[c] + 2);
    lines[r] = (text + columns[last][r]).trimEnd();
  }
  return lines.join('\n');
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
