/**
 * The client of the live-page figure's host application, in its own process (forked with
 * bench/ts-hook.js), so that neither Playwright's traffic nor the churn writer shares its event
 * loop: per message `{ url, ms, concurrency }`, GET `url` with `concurrency` requests in flight for
 * `ms`, then answers `{ event: 'window', p50, p99, count }` (ms). Sends `{ event: 'ready' }` first.
 */
import { Agent, request } from 'http';
import { percentile } from './stats';

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/** One GET to its end, ms. */
function get(url: string): Promise<number> {
  const t = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      res.resume();
      res.once('end', () => resolve(performance.now() - t));
      res.once('error', reject);
    });
    req.once('error', reject);
    req.end();
  });
}

async function window(url: string, ms: number, concurrency: number): Promise<{ p50: number; p99: number; count: number }> {
  const times: number[] = [];
  const end = performance.now() + ms;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) times.push(await get(url));
    }),
  );
  return { p50: percentile(times, 50), p99: percentile(times, 99), count: times.length };
}

process.on('message', (m: { url: string; ms: number; concurrency: number }) => {
  window(m.url, m.ms, m.concurrency).then(
    (r) => process.send?.({ event: 'window', ...r }),
    (error: unknown) => process.send?.({ event: 'failed', error: String(error) }),
  );
});
process.send?.({ event: 'ready' });
