import { Etcd3 } from 'etcd3';
import { appendFileSync, existsSync, readFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import type { ServiceMap } from '../../lib/core';
import { waitFor } from './wait-for';
import type { WatchRecorder } from './watch-recorder';

/** A plain etcd3 client for reading/writing etcd behind the registry's back. */
export function rawClient(endpoints: string[]): Etcd3 {
  return new Etcd3({ hosts: endpoints.map((e) => (/^https?:\/\//.test(e) ? e : `http://${e}`)) });
}

/** The map under `prefix` as etcd holds it now (full keys, as the registry reports them without namespace). */
export async function freshRead(client: Etcd3, prefix: string): Promise<Record<string, string>> {
  const res = await client.getAll().prefix(prefix).strings();
  return { ...res };
}

export function sameMap(a: ServiceMap | undefined, b: ServiceMap): boolean {
  if (!a) return false;
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}

/**
 * Waits until the recorder's last map equals a fresh read of etcd (read again each poll, so a
 * map that is exact only by accident of timing must stay exact), then returns the map.
 */
export async function expectConverged(rec: WatchRecorder, client: Etcd3, prefix: string, timeoutMs = 15_000): Promise<ServiceMap> {
  let etcdMap: Record<string, string> = {};
  await waitFor(
    async () => {
      etcdMap = await freshRead(client, prefix);
      return sameMap(rec.last, etcdMap);
    },
    { timeoutMs, intervalMs: 100, message: `watcher on ${prefix} to equal etcd (last: ${JSON.stringify(rec.last)})` },
  ).catch((e: Error) => {
    throw new Error(`${e.message}; etcd holds ${JSON.stringify(etcdMap)}`);
  });
  return etcdMap;
}

// --- measured figures ---------------------------------------------------------------------------

const FIGURES_FILE = join(tmpdir(), 'nestjs-etcd-registry-fault-figures.jsonl');
const local: { spec: string; figure: string; value: number; unit: string }[] = [];

/** Records a measured figure (kept for this spec's table and appended to a JSON-lines file in tmpdir). */
export function recordFigure(spec: string, figure: string, value: number, unit = 'ms'): void {
  const row = { spec, figure, value: Math.round(value), unit, at: new Date().toISOString() };
  local.push(row);
  try {
    appendFileSync(FIGURES_FILE, JSON.stringify(row) + '\n');
  } catch {
    /* figures are informative only */
  }
}

/** Prints this spec's figures as a table on stdout (call in afterAll). */
export function printFigures(title: string): void {
  if (local.length === 0) return;
  const w = Math.max(...local.map((r) => r.figure.length), 10);
  const lines = [
    `\n== ${title}: measured figures`,
    ...local.map((r) => `  ${r.figure.padEnd(w)}  ${String(r.value).padStart(7)} ${r.unit}`),
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

/** All figures recorded in tmpdir (every spec run so far). */
export function allFigures(): { spec: string; figure: string; value: number; unit: string }[] {
  if (!existsSync(FIGURES_FILE)) return [];
  return readFileSync(FIGURES_FILE, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

export { seededRandom } from './seeded-random';
