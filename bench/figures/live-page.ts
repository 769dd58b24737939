import type { ChildProcess } from 'child_process';
import { loadavg } from 'os';
import type { Browser, Page } from 'playwright-core';
import { churnInstances, loadInstances } from '../../test/support/bulk-instances';
import { launchChromium } from '../../test/support/chromium';
import { shown } from '../../test/support/live-page';
import { BenchContext, withEtcd } from '../bench-context';
import { forkScript, stop } from '../fork-script';
import { MedianInterval, medianInterval } from '../stats';

/** One measuring window: the host's GET /ping latency with `pages` live pages open. */
export interface LivePageWindow {
  pages: number;
  p50: number;
  p99: number;
  count: number;
}

/** Figure 12: the host application's own requests with 5 live pages open against none. */
export interface LivePageResult {
  instances: number;
  services: number;
  pages: number;
  windowMs: number;
  concurrency: number;
  /** In the order run: none, with, with, none, none, with, ... (pairs of adjacent windows). */
  windows: LivePageWindow[];
  /** Per pair, p99 with pages / p99 without. */
  p99Ratio: MedianInterval;
  p50Ratio: MedianInterval;
  changesWritten: number;
  /** 1-minute load average as the windows began and as they ended. */
  load: [number, number];
}

type Message = { event: string; port?: number; p50?: number; p99?: number; count?: number; error?: string };

/** Sends `job` to `child` and resolves with its next message (rejects on a failure or after `timeoutMs`). */
function ask(child: ChildProcess, job: object, timeoutMs: number): Promise<Message> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    child.once('message', (m: Message) => {
      clearTimeout(timer);
      if (m.event === 'failed') reject(new Error(m.error));
      else resolve(m);
    });
    child.send(job);
  });
}

/**
 * The live page at 10,000 instances under 100 changes a second, as in the browser test, with the
 * host application, the client measuring it and Chromium each in their own processes: the host
 * (bench/live-page-host.ts) serves /registry and its own GET /ping; the pinger
 * (bench/live-page-pinger.ts) keeps 4 GETs in flight for a window and reports its p50 and p99.
 * Windows alternate without pages and with 5 pages open (each page navigated, showing its first
 * 100 rows and two of the feed's updates rendered since before the window starts, so their snapshots
 * and first renders are not measured; after closing them, a second for Chromium to tear them down), in the order
 * none, with | with, none | none, with ... so that each pair is two adjacent windows and a drift of
 * the machine's load falls on both sides alike; a pair's ratio is its p99 with / p99 without.
 */
export async function measureLivePage(ctx: BenchContext): Promise<LivePageResult> {
  const instances = 10_000;
  const services = 50;
  const pagesOpen = 5;
  // Full size: 15 pairs, so that the interval of the median is the 4th to the 12th pair (96.5 %), not the lowest to the highest.
  const pairs = ctx.small ? 4 : 15;
  const windowMs = ctx.small ? 3000 : 4000;
  const concurrency = 4;
  return withEtcd(async (etcd) => {
    const prefix = '/bench-live-page/';
    const keys = await loadInstances(etcd.client, prefix, instances, services);
    let host: ChildProcess | undefined;
    let pinger: ChildProcess | undefined;
    let browser: Browser | undefined;
    const churn = churnInstances(etcd.client, keys);
    let changesWritten = 0;
    try {
      const started = await forkScript<Message>('live-page-host.ts', { ETCD_ENDPOINTS: etcd.endpoints.join(','), PREFIX: prefix });
      host = started.child;
      const url = `http://127.0.0.1:${started.first.port}`;
      pinger = (await forkScript<Message>('live-page-pinger.ts', {})).child;
      browser = await launchChromium();
      // The feed's watch starts with the first page: once, before any window.
      const first = await browser.newPage();
      await first.goto(`${url}/registry`);
      await shown(first, { rows: 100, services });
      await first.close();

      let open: Page[] = [];
      const renders = (p: Page) => p.evaluate(() => (globalThis as unknown as { renders?: number }).renders ?? 0);
      const setPages = async (n: number) => {
        if (n === 0) {
          for (const p of open.splice(0)) await p.close();
          // Chromium tearing the pages down is not the host's cost either: a second for it to finish.
          await new Promise((resolve) => setTimeout(resolve, 1000));
          return;
        }
        while (open.length < n) {
          const p = await browser!.newPage({ viewport: { width: 1200, height: 800 } });
          await p.goto(`${url}/registry`);
          await shown(p, { rows: 100 });
          open.push(p);
        }
        // Pages open, not pages opening: each page has rendered two of the feed's updates since (they come every 500 ms).
        const since = await Promise.all(open.map(renders));
        await Promise.all(
          open.map((p, i) =>
            p.waitForFunction((n0) => ((globalThis as unknown as { renders?: number }).renders ?? 0) >= n0 + 2, since[i], {
              timeout: 30_000,
            }),
          ),
        );
      };
      const windows: LivePageWindow[] = [];
      const measure = async (pages: number) => {
        await setPages(pages);
        const r = await ask(pinger!, { url: `${url}/ping`, ms: windowMs, concurrency }, windowMs + 30_000);
        windows.push({ pages, p50: r.p50!, p99: r.p99!, count: r.count! });
      };
      const loadBefore = loadavg()[0];
      for (let pair = 0; pair < pairs; pair++) {
        const order = pair % 2 === 0 ? [0, pagesOpen] : [pagesOpen, 0];
        for (const pages of order) await measure(pages);
      }
      const loadAfter = loadavg()[0];
      await setPages(0);
      open = [];
      const ratio = (pick: (w: LivePageWindow) => number) =>
        medianInterval(
          Array.from({ length: pairs }, (_, i) => {
            const [a, b] = windows.slice(2 * i, 2 * i + 2);
            const [without, withPages] = a.pages === 0 ? [a, b] : [b, a];
            return pick(withPages) / pick(without);
          }),
        );
      const p99Ratio = ratio((w) => w.p99);
      const p50Ratio = ratio((w) => w.p50);
      ctx.log(
        `   host GET p99 ratio, ${pagesOpen} pages / none: ${p99Ratio.median.toFixed(2)}x [${p99Ratio.low.toFixed(2)}, ${p99Ratio.high.toFixed(2)}] over ${pairs} pairs`,
      );
      changesWritten = await churn.stop();
      return {
        instances,
        services,
        pages: pagesOpen,
        windowMs,
        concurrency,
        windows,
        p99Ratio,
        p50Ratio,
        changesWritten,
        load: [loadBefore, loadAfter],
      };
    } finally {
      if (!changesWritten) await churn.stop().catch(() => undefined);
      await browser?.close();
      await stop(pinger);
      await stop(host);
    }
  });
}
