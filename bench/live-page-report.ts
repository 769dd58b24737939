import type { LivePageResult } from './figures/live-page';
import { fmt, intervalVerdict, verdictText } from './stats';

/** Figure 12: the host application's own request latency with live pages open against none. */
export function livePageSection(l: LivePageResult): string {
  const pairs = l.windows.length / 2;
  const rows = l.windows.map(
    (w, i) => `| ${Math.floor(i / 2) + 1} | ${w.pages} | ${fmt(w.p50)} | ${fmt(w.p99)} | ${w.count.toLocaleString('en-US')} |`,
  );
  const r = l.p99Ratio;
  return [
    `## 12. The live page: the host application's own requests with ${l.pages} pages open`,
    '',
    `The host application (\`bench/live-page-host.ts\`: a Nest HTTP app with EtcdRegistryModule and the live page at \`/registry\`, and its own \`GET /ping\`) watching ${l.instances.toLocaleString('en-US')} instances of ${l.services} services under 100 changes a second; the client measuring \`GET /ping\` (\`bench/live-page-pinger.ts\`, ${l.concurrency} requests in flight for ${fmt(l.windowMs / 1000, 0)} s per window) and Debian's headless Chromium, each in their own processes on the same 2 cores. Windows alternate between no page and ${l.pages} pages open (each navigated, showing its first 100 rows and two of the feed's updates rendered since, before its window starts; after closing them, a second for Chromium to tear them down), in pairs of adjacent windows (none, with | with, none | ...). Per pair, the ratio p99 with pages / p99 without; shown, its median over the ${pairs} pairs with the distribution-free interval of the median (order statistics ${r.rank} from each end: ${fmt(r.coverage * 100, 1)} % coverage; with so few pairs, the interval is the lowest to the highest pair). Target: <= 1.2x. Load average (1 min) ${fmt(l.load[0])} as the windows began, ${fmt(l.load[1])} as they ended; ${l.changesWritten.toLocaleString('en-US')} changes written.`,
    '',
    '| pair | pages open | p50 ms | p99 ms | requests |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    `p99 with ${l.pages} pages / none: **${fmt(r.median)}x** [${fmt(r.low)}, ${fmt(r.high)}]; <= 1.2x: ${verdictText(intervalVerdict(r, 1.2, 'below'))}. p50: ${fmt(l.p50Ratio.median)}x [${fmt(l.p50Ratio.low)}, ${fmt(l.p50Ratio.high)}].`,
    '',
  ].join('\n');
}
