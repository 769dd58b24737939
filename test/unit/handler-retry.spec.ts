import { RetryingHandler } from '../../lib/handler-retry';
import { startupCheckPrefixes, PROBE_SUFFIX } from '../../lib/startup-check';
import type { ServiceMap } from '../../lib';
import { waitFor } from '../support/wait-for';

const map = (n: number): ServiceMap => Object.freeze({ [`/s/${n}`]: String(n) });
const fast = { initialMs: 20, maxMs: 40 };

describe('RetryingHandler', () => {
  it('calls the handler again with the latest map after it threw, until it succeeds', async () => {
    const calls: ServiceMap[] = [];
    const failures: number[] = [];
    let fail = 2;
    const h = new RetryingHandler(
      (m) => {
        calls.push(m);
        if (fail-- > 0) throw new Error('not ready');
      },
      (_e, delay) => failures.push(delay),
      fast,
    );
    await h.deliver(map(1)); // the first call returns (it threw) at once
    expect(calls).toEqual([map(1)]);
    await waitFor(() => calls.length === 3, { timeoutMs: 2000, message: 'two retries' });
    expect(calls).toEqual([map(1), map(1), map(1)]);
    expect(failures).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 120)); // no retry after a success (bounded check of a negative)
    expect(calls).toHaveLength(3);
    h.stop();
  });

  it('a newer map replaces the one being retried, and calls never overlap', async () => {
    const calls: ServiceMap[] = [];
    let running = 0;
    let overlapped = false;
    let fail = true;
    const h = new RetryingHandler(
      async (m) => {
        overlapped ||= running > 0;
        running++;
        calls.push(m);
        await new Promise((r) => setTimeout(r, 30));
        running--;
        if (fail) throw new Error('x');
      },
      () => undefined,
      { initialMs: 10, maxMs: 10 },
    );
    await h.deliver(map(1));
    await new Promise((r) => setTimeout(r, 15)); // a retry of map 1 is now running or due
    fail = false;
    const second = map(2);
    await h.deliver(second);
    await waitFor(() => calls[calls.length - 1] === second, { message: 'map 2' });
    expect(overlapped).toBe(false);
    const n = calls.length;
    await new Promise((r) => setTimeout(r, 80));
    expect(calls).toHaveLength(n); // nothing after the successful call of the latest map
    h.stop();
  });

  it('stop() cancels a pending retry', async () => {
    let calls = 0;
    const h = new RetryingHandler(
      () => {
        calls++;
        throw new Error('x');
      },
      () => undefined,
      fast,
    );
    await h.deliver(map(1));
    h.stop();
    await new Promise((r) => setTimeout(r, 120));
    expect(calls).toBe(1);
  });
});

describe('startupCheckPrefixes', () => {
  const service = { name: 'a', id: 'i', address: 'h:1', prefix: '/services/', value: 'h:1', key: '/services/a/i' };

  it('reads only what the app uses: its own key space and an empty range under each watched prefix', () => {
    expect(startupCheckPrefixes(service, ['/w/', '/v/'])).toEqual(['/services/a/i/', `/w/${PROBE_SUFFIX}`, `/v/${PROBE_SUFFIX}`]);
    expect(startupCheckPrefixes(undefined, ['/w/', '/w/'])).toEqual([`/w/${PROBE_SUFFIX}`]);
  });

  it('nothing to check for an app that neither registers nor watches', () => {
    expect(startupCheckPrefixes(undefined, [])).toEqual([]);
  });
});
