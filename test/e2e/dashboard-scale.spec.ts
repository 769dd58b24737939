import { Controller, Get, INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Etcd3 } from 'etcd3';
import type { Browser, CDPSession, Page } from 'playwright-core';
import { EtcdRegistryModule } from '../../lib';
import { EtcdRegistryDashboardModule } from '../../lib/dashboard';
import { churnInstances, loadInstances } from '../support/bulk-instances';
import { launchChromium } from '../support/chromium';
import { PageGlobals, shown } from '../support/live-page';
import { EtcdServer, startEtcd } from '../support/etcd-launcher';
import { freePort } from '../support/free-port';
import { printFigures, recordFigure } from '../support/registry-probe';
import { waitFor } from '../support/wait-for';

// The live page with 10,000 instances and 100 changes a second, in Debian's headless
// Chromium, against real etcd and a real Nest application. Functional parts are asserted
// strictly; the timings (measured on a busy 2-core machine beside other test runs) are recorded
// and asserted with margins: the targets are first render <= 1 s, <= 50 ms of main-thread work
// per update, <= 100 KB/s per page, host request p99 with 5 pages <= 1.2x without.
jest.setTimeout(240_000);

const SPEC = 'dashboard-scale';
const INSTANCES = 10_000;
const SERVICES = 50;

@Controller('ping')
class PingController {
  @Get()
  ping() {
    return { ok: true, at: Date.now() };
  }
}

describe('live page at 10,000 instances (headless Chromium, real etcd)', () => {
  let etcd: EtcdServer;
  let client: Etcd3;
  let browser: Browser;
  let port: number;
  let app: INestApplication | undefined;
  const prefix = `/scale-${Date.now()}/`;
  const keys: string[] = [];

  async function startApp(): Promise<INestApplication> {
    @Module({
      imports: [
        EtcdRegistryModule.forRoot({ endpoints: etcd.endpoints, isGlobal: true }),
        EtcdRegistryDashboardModule.forRoot({ path: '/registry', prefix }),
      ],
      controllers: [PingController],
    })
    class HostModule {}
    const created = await NestFactory.create(HostModule, { logger: false });
    await created.listen(port, '127.0.0.1');
    return created;
  }

  /**
   * GET /ping, `concurrency` at a time, for `ms`; the 99th percentile in ms. Over a fixed time (several
   * of the feed's updates and the pages' age ticks), not a fixed count: 400 requests took about half a
   * second here, so the figure was the moment the pings happened to fall on (the pages' start) more
   * than the pages being open.
   */
  async function pingP99(ms = 5000, concurrency = 4): Promise<number> {
    const times: number[] = [];
    const end = performance.now() + ms;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < end) {
          const t = performance.now();
          const res = await fetch(`http://127.0.0.1:${port}/ping`);
          await res.text();
          times.push(performance.now() - t);
        }
      }),
    );
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length * 0.99)];
  }

  /** Bytes the stream sends one page over `ms`, after its first event (the snapshot). */
  async function streamBytes(ms: number): Promise<{ snapshot: number; bytes: number; events: number }> {
    const controller = new AbortController();
    const res = await fetch(`http://127.0.0.1:${port}/registry/events`, { signal: controller.signal });
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('\n\n')) text += new TextDecoder().decode((await reader.read()).value);
    const snapshot = text.indexOf('\n\n') + 2;
    let bytes = Buffer.byteLength(text) - snapshot;
    let events = 0;
    const end = Date.now() + ms;
    const timer = setTimeout(() => controller.abort(), ms);
    try {
      while (Date.now() < end) {
        const { value, done } = await reader.read();
        if (done) break;
        bytes += value.byteLength;
        events += (new TextDecoder().decode(value).match(/\n\n/g) ?? []).length;
      }
    } catch {
      /* aborted at the end */
    } finally {
      clearTimeout(timer);
    }
    return { snapshot, bytes, events };
  }

  async function taskSeconds(cdp: CDPSession): Promise<number> {
    const { metrics } = await cdp.send('Performance.getMetrics');
    return metrics.find((m) => m.name === 'TaskDuration')?.value ?? 0;
  }

  const renders = (page: Page) => page.evaluate(() => (globalThis as unknown as { renders?: number }).renders ?? 0);

  beforeAll(async () => {
    etcd = await startEtcd();
    client = new Etcd3({ hosts: etcd.endpoints.map((e) => `http://${e}`) });
    keys.push(...(await loadInstances(client, prefix, INSTANCES, SERVICES)));
    browser = await launchChromium();
    port = await freePort();
    app = await startApp();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    client?.close();
    await etcd?.stop();
    printFigures('live page, 10,000 instances, 100 changes/s');
  });

  it('renders 10,000 instances paged, with summary, filter and search, and stays light under 100 changes/s', async () => {
    // First render: navigation to a page showing its first 100 rows and every service in the summary.
    const first = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    const errors: string[] = [];
    first.on('pageerror', (e) => errors.push(e.message));
    await first.goto(`http://127.0.0.1:${port}/registry`); // the watch starts with the first page
    await shown(first, { services: SERVICES });
    await first.close();
    let page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    page.on('pageerror', (e) => errors.push(e.message));
    const t0 = Date.now();
    await page.goto(`http://127.0.0.1:${port}/registry`);
    await shown(page, { rows: 100, services: SERVICES });
    const firstRenderMs = Date.now() - t0;
    recordFigure(SPEC, 'first render, 10,000 instances (navigation to rows shown)', firstRenderMs);

    // Functional: summary, incremental rows, filter, search.
    const summary = await page.$$eval('#summary tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(summary).toHaveLength(SERVICES);
    expect(summary.reduce((s, r) => s + Number(r[3]), 0)).toBe(INSTANCES);
    expect(summary.find((r) => r[0] === 'svc-7')).toEqual(['svc-7', '200', '0', '200']);
    expect(await page.locator('tr[data-key]').count()).toBe(100);
    expect(await page.textContent('#count')).toBe(`1-100 of ${INSTANCES} instances (${INSTANCES} in all), page 1 of 100`);
    const domNodes = await page.evaluate(() => (globalThis as unknown as PageGlobals).document.getElementsByTagName('*').length);
    recordFigure(SPEC, 'DOM elements with 10,000 instances', domNodes, 'nodes');
    expect(domNodes).toBeLessThan(2000);
    await page.selectOption('#svc', 'svc-7');
    await waitFor(async () => (await page.textContent('#count'))?.startsWith('1-100 of 200 instances'), { message: 'svc-7 filtered' });
    expect(new Set(await page.locator('section[data-service]').evaluateAll((s) => s.map((e) => e.getAttribute('data-service'))))).toEqual(
      new Set(['svc-7']),
    );
    await page.click('#next');
    await waitFor(async () => (await page.textContent('#count'))?.startsWith('101-200 of 200'), { message: 'page 2 of svc-7' });
    await page.selectOption('#svc', '');
    await page.fill('#q', 'i1234');
    await waitFor(async () => (await page.locator('tr[data-key]').count()) === 1, { message: 'search i1234' });
    expect(await page.locator('tr[data-key]').getAttribute('data-key')).toBe(`${prefix}svc-34/i1234`);
    await page.fill('#q', '');
    await waitFor(async () => (await page.locator('tr[data-key]').count()) === 100, { message: 'search cleared' });

    // Under 100 changes/s: main-thread work per update, updates per second, bytes per page.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    const load = churnInstances(client, keys);
    try {
      await waitFor(async () => (await page.$$eval('#summary tr', (t) => t.map((r) => r.children[2].textContent))).some((d) => d !== '0'), {
        timeoutMs: 10_000,
        message: 'draining instances in the summary',
      });
      const [task0, renders0, started] = [await taskSeconds(cdp), await renders(page), Date.now()];
      const stream = await streamBytes(5000);
      const [task1, renders1, elapsed] = [await taskSeconds(cdp), await renders(page), (Date.now() - started) / 1000];
      const updates = renders1 - renders0;
      const perUpdateMs = ((task1 - task0) * 1000) / Math.max(1, updates);
      recordFigure(SPEC, 'page updates per second under churn', updates / elapsed, '/s');
      recordFigure(SPEC, 'main-thread work per update (CDP TaskDuration / renders)', perUpdateMs);
      recordFigure(SPEC, 'stream bytes per second per page under churn', stream.bytes / 5 / 1024, 'KB/s');
      recordFigure(SPEC, 'stream events per second per page', stream.events / 5, '/s');
      recordFigure(SPEC, 'snapshot size on connect', stream.snapshot / 1024, 'KB');
      expect(updates / elapsed).toBeLessThanOrEqual(6); // coalesced: a few a second, not one per change
      expect(updates).toBeGreaterThan(0);
      expect(stream.events / 5).toBeLessThanOrEqual(5);
      expect(stream.bytes / 5).toBeLessThan(100 * 1024); // the target itself: bytes do not depend on the machine's load
      expect(perUpdateMs).toBeLessThan(150); // target 50 ms; margin for a loaded 2-core machine

      // The host application's own requests: p99 without pages, then with 5 pages open (churn on in both,
      // the feed's watch running in both). "Without" is with no page open: the page above is closed first.
      await page.close();
      const p99Without = await pingP99();
      const pages: Page[] = [];
      for (let i = 0; i < 5; i++) {
        const p = await browser.newPage({ viewport: { width: 1200, height: 800 } });
        p.on('pageerror', (e) => errors.push(e.message));
        await p.goto(`http://127.0.0.1:${port}/registry`);
        await shown(p, { rows: 100 });
        pages.push(p);
      }
      page = pages[0];
      const p99With = await pingP99();
      recordFigure(SPEC, 'host GET p99, no page open (churn on)', p99Without);
      recordFigure(SPEC, 'host GET p99, 5 pages open (churn on)', p99With);
      recordFigure(SPEC, 'host p99 ratio 5 pages / none, x100', (p99With / p99Without) * 100, '%');
      // Target 1.2x; Chromium's 5 pages share the machine's 2 cores with the app here, hence the margin.
      expect(p99With).toBeLessThan(Math.max(3 * p99Without, p99Without + 100));
      for (const p of pages.slice(1)) await p.close();
    } finally {
      recordFigure(SPEC, 'changes written', await load.stop(), 'changes');
    }
    expect(errors).toEqual([]);

    // A server restart: the badges say reconnecting (not "watch live") until the page is back.
    // As a process restart does: the server goes, its open connections (the pages' streams, kept-alive sockets) with it.
    const closing = app!.close();
    (app!.getHttpServer() as import('http').Server).closeAllConnections();
    await closing;
    app = undefined;
    await waitFor(async () => (await page.textContent('#watch')) === 'reconnecting\u2026', { timeoutMs: 10_000, message: 'reconnecting' });
    expect(await page.getAttribute('#watch', 'class')).toBe('badge bad');
    expect(await page.textContent('#conn')).toBe('reconnecting\u2026');
    app = await startApp();
    await waitFor(async () => (await page.textContent('#watch')) === 'watch live', { timeoutMs: 20_000, message: 'live again' });
    expect(await page.getAttribute('#conn', 'class')).toBe('badge ok');
    await waitFor(async () => (await page.locator('tr[data-key]').count()) === 100, { message: 'rows back after the restart' });
    await page.close();
  });
});
