import { ChildProcess, spawn } from 'child_process';
import { Etcd3 } from 'etcd3';
import { tmpdir } from 'os';
import { join } from 'path';
import type { Browser, Page } from 'playwright-core';
import { INestApplication } from '@nestjs/common';
import { createRegistry, EtcdRegistryModule, Registry } from '../../lib';
import { EtcdRegistryDashboardModule } from '../../lib/dashboard';
import { launchChromium } from '../support/chromium';
import { EtcdServer, useEtcd } from '../support/etcd-launcher';
import { withNestApps } from '../support/nest-app';
import { waitFor } from '../support/wait-for';

// The live registry page in a real headless Chromium, against real etcd.
jest.setTimeout(90_000);

const CHILD = join(__dirname, '..', 'support', 'child-registry.ts');
const TS_NODE = require.resolve('ts-node/dist/bin.js');
const SCREENSHOT = process.env.UPDATE_DASHBOARD_SCREENSHOT ? join(__dirname, '..', '..', 'docs', 'dashboard.png') : undefined;

const json = (value: object) => JSON.stringify({ v: 1, ...value });

/** The browser's globals, typed just enough (the project's TypeScript has no DOM lib). */
type BrowserGlobals = { document: any; MutationObserver: any; rows: Record<string, { added?: number; removed?: number }>; pwned?: number };

/** Records, in the page, when each row (by etcd key) appears and disappears, on the machine's clock. */
async function recordRows(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = globalThis as unknown as BrowserGlobals;
    const document = w.document;
    w.rows = {};
    let present = new Set<string>();
    const scan = () => {
      const now = new Set<string>(
        [...document.querySelectorAll('tr[data-key]')].map((tr: { getAttribute(n: string): string }) => tr.getAttribute('data-key')),
      );
      for (const k of now) if (!present.has(k)) w.rows[k] = { added: Date.now() };
      for (const k of present) if (!now.has(k)) w.rows[k] = { ...w.rows[k], removed: Date.now() };
      present = now;
    };
    scan();
    new w.MutationObserver(scan).observe(document.getElementById('services'), { childList: true, subtree: true });
  });
}

const rowTimes = (page: Page, key: string) => page.evaluate((k) => (globalThis as unknown as BrowserGlobals).rows[k] ?? {}, key);

describe('live registry page (EtcdRegistryDashboardModule) in headless Chromium', () => {
  const apps = withNestApps();
  let etcd: EtcdServer;
  let browser: Browser;
  let observer: Etcd3;
  let observerWatch: { cancel(): Promise<void> } | undefined;
  let registry: Registry;
  const children: ChildProcess[] = [];
  const prefix = `/dash-${Date.now()}/`;
  /** When an independent etcd watcher saw each key put and deleted (local clock, ms). */
  const seen: Record<string, { put?: number; deleted?: number }> = {};

  beforeAll(async () => {
    etcd = await useEtcd();
    browser = await launchChromium();
    observer = new Etcd3({ hosts: etcd.endpoints.map((e) => `http://${e}`) });
    const watcher = await observer.watch().prefix(prefix).create();
    observerWatch = watcher;
    watcher.on('put', (kv) => (seen[kv.key.toString()] = { ...seen[kv.key.toString()], put: Date.now() }));
    watcher.on('delete', (kv) => (seen[kv.key.toString()] = { ...seen[kv.key.toString()], deleted: Date.now() }));
    registry = createRegistry({ endpoints: etcd.endpoints, ttlSeconds: 30 });
  });
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
  afterAll(async () => {
    await registry?.close();
    await observerWatch?.cancel();
    observer?.close();
    await browser?.close();
    await etcd?.stop();
  });

  async function startApp(): Promise<{ app: INestApplication; url: string }> {
    const app = await apps.start({
      imports: [
        EtcdRegistryModule.forRoot({ endpoints: etcd.endpoints, isGlobal: true }),
        EtcdRegistryDashboardModule.forRoot({ path: '/registry', prefix }),
      ],
    });
    return { app, url: `${await app.getUrl()}/registry`.replace('[::1]', '127.0.0.1') };
  }

  async function openPage(url: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 860, height: 420 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(url);
    await page.waitForSelector('#conn.ok', { timeout: 10_000 });
    (page as unknown as { errors: string[] }).errors = errors;
    return page;
  }

  function startInstance(key: string, value: string): Promise<ChildProcess> {
    const child = spawn(process.execPath, [TS_NODE, '--transpile-only', CHILD], {
      env: {
        ...process.env,
        ETCD_ENDPOINTS: etcd.endpoints.join(','),
        REGISTER_PATH: key,
        REGISTER_VALUE: value,
        TTL_SECONDS: '2',
        MODE: 'wait',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    return new Promise((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => c.toString().includes('ready') && resolve(child));
      child.once('exit', (code) => reject(new Error(`instance exited (${code}) before ready: ${stderr}`)));
    });
  }

  it('an instance started, then killed, appears and disappears within a second of etcd', async () => {
    const { url } = await startApp();
    const page = await openPage(url);
    await recordRows(page);

    const key = `${prefix}user-service/killed-1`;
    const child = await startInstance(key, json({ address: '127.0.0.1:3101', version: '2.0.1', zone: 'eu-west-1b' }));
    const added = await waitFor(async () => (await rowTimes(page, key)).added, { timeoutMs: 10_000, message: 'the row on the page' });
    const put = await waitFor(() => seen[key]?.put, { message: 'the put seen by the independent watcher' });
    const appearMs = added - put;

    child.kill('SIGKILL'); // by PID: its lease (2 s) expires, etcd deletes the key
    const deleted = await waitFor(() => seen[key]?.deleted, {
      timeoutMs: 15_000,
      message: 'the lease expiry seen by the independent watcher',
    });
    const removed = await waitFor(async () => (await rowTimes(page, key)).removed, {
      timeoutMs: 10_000,
      message: 'the row gone from the page',
    });
    const disappearMs = removed - deleted;
    process.stdout.write(
      `registry page: row appeared ${appearMs} ms after etcd's put, disappeared ${disappearMs} ms after etcd's delete (lease expiry)\n`,
    );
    expect(appearMs).toBeLessThan(1000);
    expect(disappearMs).toBeLessThan(1000);
    expect((page as unknown as { errors: string[] }).errors).toEqual([]);
    await page.close();
  });

  it('renders untrusted values as text: no script runs, no element is injected', async () => {
    const { url } = await startApp();
    const page = await openPage(url);
    const evil = '<img src=x onerror="window.pwned=1">';
    const key = `${prefix}evil/${encodeURIComponent('x"><b>')}`;
    await registry.register(key, json({ address: '127.0.0.1:6666', version: `<script>window.pwned=2</script>`, zone: evil }));
    const row = page.locator(`tr[data-key="${key.replace(/"/g, '\\"')}"]`);
    await row.waitFor({ timeout: 10_000 });
    expect(await row.locator('td').allTextContents()).toEqual([
      encodeURIComponent('x"><b>'),
      '127.0.0.1:6666',
      'up',
      evil,
      '<script>window.pwned=2</script>',
      expect.stringMatching(/^\d+s$/),
    ]);
    expect(await page.evaluate(() => (globalThis as unknown as BrowserGlobals).pwned)).toBeUndefined();
    expect(await page.locator('#services img, #services script, #services b').count()).toBe(0);
    await registry.unregister(key);
    await row.waitFor({ state: 'detached', timeout: 10_000 });
    await page.close();
  });

  it('serves the page with a strict Content-Security-Policy, and the list over server-sent events', async () => {
    const { url } = await startApp();
    const res = await fetch(url);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toMatch(
      /default-src 'none'; style-src 'sha256-[^']+'; script-src 'sha256-[^']+'; connect-src 'self'/,
    );
    const html = await res.text();
    expect(html.length).toBeLessThan(8_000); // small, no framework
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/); // nothing loaded from elsewhere

    const controller = new AbortController();
    const events = await fetch(`${url}/events`, { signal: controller.signal });
    expect(events.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = events.body!.getReader();
    let text = '';
    while (!/\n\n/.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    const snapshot = JSON.parse(/^data: (.*)$/m.exec(text)![1]);
    expect(snapshot).toEqual(expect.objectContaining({ prefix, codec: 'json', live: true, instances: expect.any(Array), skipped: [] }));
  });

  it('shows a few instances (screenshot for docs/operating.md)', async () => {
    const { url } = await startApp();
    const fleet: [string, object][] = [
      ['user-service/user-1', { address: '10.0.0.5:3000', version: '1.4.2', zone: 'eu-west-1a' }],
      ['user-service/user-2', { address: '10.0.0.6:3000', version: '1.4.2', zone: 'eu-west-1b' }],
      ['user-service/user-3', { address: '10.0.0.7:3000', version: '1.5.0', zone: 'eu-west-1c', status: 'draining' }],
      ['gateway/gw-1', { address: '10.0.1.2:8080', version: '0.9.0', zone: 'eu-west-1a' }],
    ];
    for (const [path, value] of fleet) await registry.register(`${prefix}${path}`, json(value));
    const page = await openPage(url);
    await waitFor(async () => (await page.locator('tr[data-key]').count()) === fleet.length, { message: 'every instance on the page' });
    expect(await page.locator('section[data-service]').evaluateAll((s) => s.map((e) => e.getAttribute('data-service')))).toEqual([
      'gateway',
      'user-service',
    ]);
    expect(await page.locator('td.draining').allTextContents()).toEqual(['draining']);
    await waitFor(async () => (await page.locator('td[data-since]').first().textContent())?.match(/[1-9]\d*s$/), {
      message: 'ages ticking',
    });
    await page.screenshot({ path: SCREENSHOT ?? join(tmpdir(), `dashboard-${process.pid}.png`) });
    for (const [path] of fleet) await registry.unregister(`${prefix}${path}`);
    await page.close();
  });
});
