import { RegistryArgumentError } from '../../lib';
import type { MapChanges, ServiceMap } from '../../lib';
import { resolveWatchOptions, HANDLER_RETRY_BACKOFF } from '../../lib/core/input-validation';
import { DeliveryReports, HandlerDelivery } from '../../lib/core/watch/handler-delivery';
import { ServiceMapState, withPrevious } from '../../lib/core/watch/service-map-state';
import { waitFor } from '../support/wait-for';

type Call = { map: ServiceMap; changes: MapChanges };

/** Reports recorded: each failure with its retry delay, each normal return. */
function recorded() {
  const failures: { error: unknown; retryInMs?: number }[] = [];
  let delivered = 0;
  const reports: DeliveryReports = {
    error: (error, retryInMs) => failures.push({ error, retryInMs }),
    stuck: () => undefined,
    delivered: () => void delivered++,
  };
  return { reports, failures, delivered: () => delivered };
}

const sorted = (c: MapChanges) => ({
  previous: c.previous,
  added: [...c.added].sort(),
  removed: [...c.removed].sort(),
  updated: [...c.updated].sort(),
});

/** A delivery over a map state; `set(entries)` changes the map and notifies, as a watch does. */
function delivery(fn: (map: ServiceMap, changes: MapChanges) => void | Promise<void>, retry = { initialMs: 20, maxMs: 40 }) {
  const state = new ServiceMapState();
  const r = recorded();
  const d = new HandlerDelivery(fn, state, r.reports, 5000, retry);
  const set = (entries: Record<string, string>) => {
    state.replace(new Map(Object.entries(entries)));
    d.notify();
  };
  return { d, set, ...r };
}

describe('HandlerDelivery with retry', () => {
  it('calls the handler again with the current map after it threw, until it returns; never reported delivered while failing', async () => {
    const calls: ServiceMap[] = [];
    let fail = 2;
    const { d, set, failures, delivered } = delivery((m) => {
      calls.push(m);
      if (fail-- > 0) throw new Error('not ready');
    });
    set({ '/s/1': '1' });
    await d.first; // the first call returned (it threw) at once
    expect(calls).toHaveLength(1);
    expect(delivered()).toBe(0);
    await waitFor(() => calls.length === 3, { timeoutMs: 2000, message: 'two retries' });
    expect(calls[1]).toBe(calls[0]); // the same map, no change in between
    expect(calls[2]).toBe(calls[0]);
    expect(failures.map((f) => (f.error as Error).message)).toEqual(['not ready', 'not ready']);
    for (const f of failures) expect(f.retryInMs).toEqual(expect.any(Number));
    await waitFor(() => delivered() === 1, { message: 'the success reported as delivered' });
    await new Promise((r) => setTimeout(r, 120)); // no retry after a success (bounded check of a negative)
    expect(calls).toHaveLength(3);
    d.stop();
  });

  it('a newer map replaces the one being retried, and calls never overlap', async () => {
    const calls: ServiceMap[] = [];
    let running = 0;
    let overlapped = false;
    let fail = true;
    const { d, set } = delivery(
      async (m) => {
        overlapped ||= running > 0;
        running++;
        calls.push(m);
        await new Promise((r) => setTimeout(r, 30));
        running--;
        if (fail) throw new Error('x');
      },
      { initialMs: 10, maxMs: 10 },
    );
    set({ '/s/1': '1' });
    await d.first;
    await new Promise((r) => setTimeout(r, 15)); // a retry of map 1 is now running or due
    fail = false;
    set({ '/s/2': '2' });
    await waitFor(() => calls[calls.length - 1]?.['/s/2'] === '2', { message: 'map 2' });
    await waitFor(() => running === 0, { message: 'the call of map 2 to return' });
    expect(overlapped).toBe(false);
    const n = calls.length;
    await new Promise((r) => setTimeout(r, 80));
    expect(calls).toHaveLength(n); // nothing after the successful call of the latest map
    d.stop();
  });

  it('stop() cancels a pending retry', async () => {
    let calls = 0;
    const { d, set } = delivery(() => {
      calls++;
      throw new Error('x');
    });
    set({ '/s/1': '1' });
    await d.first;
    d.stop();
    await new Promise((r) => setTimeout(r, 120));
    expect(calls).toBe(1);
  });

  it('without retry: a failure is reported without a delay, not as delivered, and the handler waits for the next change', async () => {
    const state = new ServiceMapState();
    const r = recorded();
    let calls = 0;
    const d = new HandlerDelivery(
      () => {
        calls++;
        throw new Error('boom');
      },
      state,
      r.reports,
      5000,
    );
    state.put('a', '1');
    d.notify();
    await d.first;
    await new Promise((res) => setTimeout(res, 60));
    expect(calls).toBe(1);
    expect(r.failures).toEqual([{ error: expect.any(Error), retryInMs: undefined }]);
    expect(r.delivered()).toBe(0);
    d.stop();
  });
});

describe('HandlerDelivery change sets with retry (relative to the last normal return)', () => {
  function recording(fail: (map: ServiceMap, n: number) => boolean = () => false, retry = { initialMs: 10_000, maxMs: 10_000 }) {
    const calls: Call[] = [];
    const made = delivery((map, changes) => {
      calls.push({ map, changes });
      if (fail(map, calls.length)) throw new Error('not yet');
    }, retry);
    return { ...made, calls };
  }
  const settle = () => new Promise((r) => setImmediate(r));

  it('while every call returns: each change set is relative to the previous call (first call: previous undefined, every key added)', async () => {
    const { d, set, calls } = recording();
    set({ '/s/a': '1' });
    await settle();
    set({ '/s/a': '2', '/s/b': '1' });
    await settle();
    set({ '/s/b': '1' });
    await settle();
    expect(sorted(calls[0].changes)).toEqual({ previous: undefined, added: ['/s/a'], removed: [], updated: [] });
    expect(sorted(calls[1].changes)).toEqual({ previous: calls[0].map, added: ['/s/b'], removed: [], updated: ['/s/a'] });
    expect(sorted(calls[2].changes)).toEqual({ previous: calls[1].map, added: [], removed: ['/s/a'], updated: [] });
    d.stop();
  });

  it('after a failed first call, the next call reports every key as added (previous undefined)', async () => {
    const { d, set, calls } = recording((_m, n) => n === 1);
    set({ '/s/a': '1' }); // throws
    await settle();
    set({ '/s/a': '1', '/s/b': '1' });
    await settle();
    expect(calls).toHaveLength(2);
    expect(sorted(calls[1].changes)).toEqual({ previous: undefined, added: ['/s/a', '/s/b'], removed: [], updated: [] });
    d.stop();
  });

  it("a failure after a success: the next map's changes are relative to the map of the success, and so are the retries'", async () => {
    const { d, set, calls } = recording((map) => map['/s/c'] === 'boom', { initialMs: 20, maxMs: 40 });
    set({ '/s/a': '1', '/s/b': '1' }); // ok
    await settle();
    set({ '/s/a': '1', '/s/b': '2', '/s/c': 'boom' }); // throws
    await settle();
    set({ '/s/a': '1', '/s/c': 'ok' }); // ok: relative to the first map, not to the failed one
    await settle();
    expect(calls).toHaveLength(3);
    expect(sorted(calls[2].changes)).toEqual({ previous: calls[0].map, added: ['/s/c'], removed: ['/s/b'], updated: [] });
    set({ '/s/a': '1', '/s/c': 'ok', '/s/d': '1' }); // back in step with the previous call
    await settle();
    expect(sorted(calls[3].changes)).toEqual({ previous: calls[2].map, added: ['/s/d'], removed: [], updated: [] });

    set({ '/s/c': 'boom' }); // throws, retried after 2-40 ms
    await waitFor(() => calls.length >= 6, { timeoutMs: 2000, message: 'a retry' });
    for (const c of calls.slice(4, 6))
      expect(sorted(c.changes)).toEqual({ previous: calls[3].map, added: [], removed: ['/s/a', '/s/d'], updated: ['/s/c'] });
    d.stop();
  });

  it("maps coalesced while a call runs: the next call's changes are relative to the map that call returned with", async () => {
    let release!: () => void;
    const calls: Call[] = [];
    const { d, set } = delivery(async (map, changes) => {
      calls.push({ map, changes });
      if (calls.length === 1) await new Promise<void>((r) => (release = r));
    });
    set({ '/s/a': '1' }); // runs until released
    await waitFor(() => calls.length === 1, { message: 'the first call to start' });
    set({ '/s/a': '1', '/s/b': '1' });
    set({ '/s/a': '2', '/s/c': '1' });
    release();
    await waitFor(() => calls.length === 2, { message: 'the second call' });
    await new Promise((r) => setTimeout(r, 20));
    expect(calls.map((c) => Object.keys(c.map).sort())).toEqual([['/s/a'], ['/s/a', '/s/c']]); // the middle map coalesced away
    expect(sorted(calls[1].changes)).toEqual({ previous: calls[0].map, added: ['/s/c'], removed: [], updated: ['/s/a'] });
    d.stop();
  });
});

describe('withPrevious', () => {
  it("hands the core's keys on with another previous, computing the diff once for both", () => {
    const state = new ServiceMapState();
    state.put('/s/a', '1');
    const first = state.snapshot();
    state.put('/s/b', '1');
    const changes = state.changesBetween(first, state.snapshot());
    const derived = { instances: 1 };
    const rebased = withPrevious(changes, derived);
    expect(rebased.previous).toBe(derived);
    expect(rebased.added).toEqual(['/s/b']);
    expect(changes.added).toBe(rebased.added); // one computation, shared
  });

  it("another registry's plain change set is read through", () => {
    const plain: MapChanges = { previous: undefined, added: ['/k'], removed: [], updated: [] };
    expect(withPrevious(plain, 'p')).toEqual({ previous: 'p', added: ['/k'], removed: [], updated: [] });
  });
});

describe("addWatch's delivery options", () => {
  it('name defaults to the function name; retry true is the default backoff; false and absent are no retry', () => {
    expect(resolveWatchOptions('onUsers', undefined)).toEqual({ name: 'onUsers', retry: undefined });
    expect(resolveWatchOptions('', { retry: false })).toEqual({ name: 'anonymous handler', retry: undefined });
    expect(resolveWatchOptions('f', { name: 'Users#onChange', retry: true })).toEqual({
      name: 'Users#onChange',
      retry: HANDLER_RETRY_BACKOFF,
    });
    expect(resolveWatchOptions('f', { retry: { initialMs: 5, maxMs: 50 } }).retry).toEqual({ initialMs: 5, maxMs: 50 });
  });

  it.each([
    ['options', 'yes'],
    ['name', { name: '' }],
    ['retry', { retry: { initialMs: 0, maxMs: 10 } }],
    ['retry', { retry: { initialMs: 20, maxMs: 10 } }],
    ['retry', { retry: 'always' }],
  ])('bad %s is refused with an error naming it and the expected form', (argument, options) => {
    const error = (() => {
      try {
        resolveWatchOptions('f', options);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(RegistryArgumentError);
    expect((error as RegistryArgumentError).argument).toBe(argument);
    expect((error as Error).message).toMatch(/addWatch must be/);
  });
});
