/**
 * The benchmark's plots, drawn as SVG text (no plotting dependency): cost of one change against
 * map size per design (log-log), and propagation latency distributions (CDF per design).
 */
import { IMPL_LABELS, ImplName } from './bench-client.interface';
import { GrowthPoint } from './figures/growth';
import { PropagationResult } from './figures/propagation';

const COLORS: Record<ImplName, string> = {
  raw: '#1f77b4',
  rawtxn: '#9467bd',
  h2: '#17becf',
  seed: '#d62728',
  ours: '#2ca02c',
  go: '#7f7f7f',
  goseed: '#ff7f0e',
};
const W = 640;
const H = 400;
const M = { left: 70, right: 180, top: 40, bottom: 50 };
const PW = W - M.left - M.right;
const PH = H - M.top - M.bottom;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

interface Series {
  name: string;
  color: string;
  points: [number, number][];
  /** Draw the points as well as the line. */
  markers?: boolean;
}

interface Axis {
  label: string;
  log: boolean;
  min: number;
  max: number;
}

function scale(axis: Axis, v: number, length: number): number {
  if (axis.log) return ((Math.log10(v) - Math.log10(axis.min)) / (Math.log10(axis.max) - Math.log10(axis.min))) * length;
  return ((v - axis.min) / (axis.max - axis.min)) * length;
}

function ticks(axis: Axis): number[] {
  if (axis.log) {
    const out: number[] = [];
    for (let e = Math.floor(Math.log10(axis.min)); e <= Math.ceil(Math.log10(axis.max)); e++) {
      for (const m of [1, 2, 5]) {
        const v = m * 10 ** e;
        if (v >= axis.min * 0.999 && v <= axis.max * 1.001) out.push(v);
      }
    }
    return out;
  }
  const step = niceStep((axis.max - axis.min) / 5);
  const out: number[] = [];
  for (let v = Math.ceil(axis.min / step) * step; v <= axis.max + 1e-9; v += step) out.push(Number(v.toFixed(10)));
  return out;
}

function niceStep(raw: number): number {
  const e = 10 ** Math.floor(Math.log10(raw));
  const f = raw / e;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * e;
}

const tickLabel = (v: number) => (v >= 1000 ? `${v / 1000}k` : String(Number(v.toPrecision(3))));

function chart(title: string, x: Axis, y: Axis, series: Series[]): string {
  const px = (v: number) => M.left + scale(x, v, PW);
  const py = (v: number) => M.top + PH - scale(y, v, PH);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${M.left + PW / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`,
  ];
  for (const t of ticks(x)) {
    parts.push(`<line x1="${px(t)}" y1="${M.top}" x2="${px(t)}" y2="${M.top + PH}" stroke="#eee"/>`);
    parts.push(`<text x="${px(t)}" y="${M.top + PH + 16}" text-anchor="middle">${tickLabel(t)}</text>`);
  }
  for (const t of ticks(y)) {
    parts.push(`<line x1="${M.left}" y1="${py(t)}" x2="${M.left + PW}" y2="${py(t)}" stroke="#eee"/>`);
    parts.push(`<text x="${M.left - 6}" y="${py(t) + 4}" text-anchor="end">${tickLabel(t)}</text>`);
  }
  parts.push(`<rect x="${M.left}" y="${M.top}" width="${PW}" height="${PH}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${M.left + PW / 2}" y="${H - 12}" text-anchor="middle">${esc(x.label)}</text>`);
  parts.push(`<text transform="translate(16 ${M.top + PH / 2}) rotate(-90)" text-anchor="middle">${esc(y.label)}</text>`);
  series.forEach((s, i) => {
    const pts = s.points.filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b) && (!x.log || a > 0) && (!y.log || b > 0));
    if (pts.length === 0) return;
    const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
    const d = pts
      .map(([a, b], k) => `${k ? 'L' : 'M'}${px(clamp(a, x.min, x.max)).toFixed(1)} ${py(clamp(b, y.min, y.max)).toFixed(1)}`)
      .join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    if (s.markers)
      for (const [a, b] of pts) parts.push(`<circle cx="${px(a).toFixed(1)}" cy="${py(b).toFixed(1)}" r="3.5" fill="${s.color}"/>`);
    const ly = M.top + 10 + i * 20;
    parts.push(`<line x1="${W - M.right + 12}" y1="${ly}" x2="${W - M.right + 32}" y2="${ly}" stroke="${s.color}" stroke-width="3"/>`);
    parts.push(`<text x="${W - M.right + 38}" y="${ly + 4}">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

const bounds = (values: number[]) => {
  const v = values.filter((x) => Number.isFinite(x) && x > 0);
  return { min: Math.min(...v), max: Math.max(...v) };
};

/** Watcher CPU per change (one change at a time) against map size, one line per design (log-log). */
export function growthPlot(rows: GrowthPoint[]): string {
  const impls = [...new Set(rows.map((r) => r.impl))];
  const xs = bounds(rows.map((r) => r.keys));
  const ys = bounds(rows.flatMap((r) => [r.sequentialCpuPerChangeMs]));
  return chart(
    'Watcher CPU per change vs keys watched',
    { label: 'keys under the prefix', log: true, min: xs.min, max: xs.max },
    { label: 'watcher CPU per change, ms (log)', log: true, min: ys.min / 1.5, max: ys.max * 1.5 },
    impls.map((impl) => ({
      name: IMPL_LABELS[impl],
      color: COLORS[impl],
      markers: true,
      points: rows.filter((r) => r.impl === impl).map((r) => [r.keys, r.sequentialCpuPerChangeMs] as [number, number]),
    })),
  );
}

/** Latency of one change (one at a time) against map size, one line per design (log-log). */
export function growthLatencyPlot(rows: GrowthPoint[]): string {
  const impls = [...new Set(rows.map((r) => r.impl))];
  const xs = bounds(rows.map((r) => r.keys));
  const ys = bounds(rows.map((r) => r.sequentialLatencyMs));
  return chart(
    'Latency of one change vs keys watched',
    { label: 'keys under the prefix', log: true, min: xs.min, max: xs.max },
    { label: 'put until the watcher has it, p50 ms (log)', log: true, min: ys.min / 1.5, max: ys.max * 1.5 },
    impls.map((impl) => ({
      name: IMPL_LABELS[impl],
      color: COLORS[impl],
      markers: true,
      points: rows.filter((r) => r.impl === impl).map((r) => [r.keys, r.sequentialLatencyMs] as [number, number]),
    })),
  );
}

/** Cumulative distribution of propagation latency (register until the other process holds it), per design. */
export function propagationPlot(rows: PropagationResult[]): string {
  const all = rows.flatMap((r) => r.registerMs).sort((a, b) => a - b);
  const max = all[Math.floor(all.length * 0.995)] ?? 10;
  const min = Math.max(0.05, all[0] ?? 0.1);
  return chart(
    'Propagation latency, cumulative distribution',
    { label: 'register() until the watcher process holds it, ms (log)', log: true, min: min / 1.2, max: max * 1.2 },
    { label: 'fraction of changes', log: false, min: 0, max: 1 },
    rows.map((r) => {
      const sorted = [...r.registerMs].sort((a, b) => a - b);
      const step = Math.max(1, Math.floor(sorted.length / 200));
      const points: [number, number][] = [];
      for (let i = 0; i < sorted.length; i += step) points.push([sorted[i], (i + 1) / sorted.length]);
      if (sorted.length) points.push([sorted[sorted.length - 1], 1]);
      return { name: IMPL_LABELS[r.impl], color: COLORS[r.impl], points };
    }),
  );
}
