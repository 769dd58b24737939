import { RetryingHandler } from '../../lib/handler-retry';
import { startupCheckPrefixes, PROBE_SUFFIX } from '../../lib/startup-check';
import { instanceChangesBetween, mapChangesBetween } from '../../lib/handler-changes';
import { FrozenInstanceMap } from '../../lib/core/instances/instance-map';
import type { MapChanges, ServiceMap } from '../../lib';
import { fleetOf, instance } from '../support/instance-fixtures';
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

describe('RetryingHandler change sets (relative to the last normal return)', () => {
  type Call = { map: ServiceMap; changes: MapChanges };
  const sorted = (c: MapChanges) => ({
    previous: c.previous,
    added: [...c.added].sort(),
    removed: [...c.removed].sort(),
    updated: [...c.updated].sort(),
  });

  /** A fake core: hands each map with the change set from the map it handed before (as addWatch does). */
  function fakeCore(h: RetryingHandler) {
    let previous: ServiceMap | undefined;
    const sets: MapChanges[] = [];
    return {
      sets,
      deliver(entries: Record<string, string>): Promise<void> {
        const map = Object.freeze({ ...entries });
        const changes = mapChangesBetween(previous, map);
        previous = map;
        sets.push(changes);
        return h.deliver(map, changes);
      },
    };
  }

  /** A handler recording its calls; `fail(map)` says whether the call throws. */
  function recording(fail: (map: ServiceMap, n: number) => boolean = () => false, policy = { initialMs: 10_000, maxMs: 10_000 }) {
    const calls: Call[] = [];
    const h = new RetryingHandler(
      (map, changes) => {
        calls.push({ map, changes });
        if (fail(map, calls.length)) throw new Error('not yet');
      },
      () => undefined,
      policy,
    );
    return { h, calls, core: fakeCore(h) };
  }

  it("hands the core's own change set on while every call succeeds (first call: previous undefined, every key added)", async () => {
    const { h, calls, core } = recording();
    await core.deliver({ '/s/a': '1' });
    await core.deliver({ '/s/a': '2', '/s/b': '1' });
    await core.deliver({ '/s/b': '1' });
    expect(calls.map((c) => c.changes)).toEqual(core.sets); // same content...
    calls.forEach((c, i) => expect(c.changes).toBe(core.sets[i])); // ...and the very objects: no diff computed
    expect(sorted(calls[0].changes)).toEqual({ previous: undefined, added: ['/s/a'], removed: [], updated: [] });
    expect(sorted(calls[1].changes)).toEqual({ previous: calls[0].map, added: ['/s/b'], removed: [], updated: ['/s/a'] });
    expect(sorted(calls[2].changes)).toEqual({ previous: calls[1].map, added: [], removed: ['/s/a'], updated: [] });
    h.stop();
  });

  it('after a failed first call, the next call reports every key as added (previous undefined)', async () => {
    const { h, calls, core } = recording((_m, n) => n === 1);
    await core.deliver({ '/s/a': '1' }); // throws
    await core.deliver({ '/s/a': '1', '/s/b': '1' }); // the core says: b added (relative to the map that failed)
    expect(calls).toHaveLength(2);
    expect(sorted(core.sets[1])).toEqual(expect.objectContaining({ added: ['/s/b'] }));
    expect(sorted(calls[1].changes)).toEqual({ previous: undefined, added: ['/s/a', '/s/b'], removed: [], updated: [] });
    h.stop();
  });

  it("a failure after a success: the next map's changes are relative to the map of the success, and so are the retries'", async () => {
    const { h, calls, core } = recording((map) => map['/s/c'] === 'boom', { initialMs: 20, maxMs: 40 });
    await core.deliver({ '/s/a': '1', '/s/b': '1' }); // ok
    await core.deliver({ '/s/a': '1', '/s/b': '2', '/s/c': 'boom' }); // throws
    await core.deliver({ '/s/a': '1', '/s/c': 'ok' }); // ok: relative to the first map, not to the failed one
    const expected = { previous: calls[0].map, added: ['/s/c'], removed: ['/s/b'], updated: [] };
    expect(calls).toHaveLength(3);
    expect(sorted(calls[2].changes)).toEqual(expected);
    expect(sorted(core.sets[2])).toEqual(expect.objectContaining({ removed: ['/s/b'], updated: ['/s/c'] })); // what the core said
    // Then back in step with the core: its own change set again.
    await core.deliver({ '/s/a': '1', '/s/c': 'ok', '/s/d': '1' });
    expect(calls[3].changes).toBe(core.sets[3]);

    // A retry of a failed map is relative to the last success as well.
    await core.deliver({ '/s/c': 'boom' }); // throws, retried after 10-20 ms
    await waitFor(() => calls.length >= 6, { timeoutMs: 2000, message: 'a retry' });
    for (const c of calls.slice(4, 6))
      expect(sorted(c.changes)).toEqual({ previous: calls[3].map, added: [], removed: ['/s/a', '/s/d'], updated: ['/s/c'] });
    h.stop();
  });

  it("deliveries coalesced while a call runs: the next call's changes are relative to the map that call succeeded with", async () => {
    let release!: () => void;
    const calls: Call[] = [];
    const h = new RetryingHandler(
      async (map, changes) => {
        calls.push({ map, changes });
        if (calls.length === 1) await new Promise<void>((r) => (release = r));
      },
      () => undefined,
    );
    const core = fakeCore(h);
    const first = core.deliver({ '/s/a': '1' }); // runs until released
    await waitFor(() => calls.length === 1, { message: 'the first call to start' });
    const second = core.deliver({ '/s/a': '1', '/s/b': '1' }); // a core that stopped waiting (handlerTimeoutMs) hands newer maps
    const third = core.deliver({ '/s/a': '2', '/s/c': '1' });
    release();
    await Promise.all([first, second, third]);
    expect(calls.map((c) => Object.keys(c.map))).toEqual([['/s/a'], ['/s/a', '/s/c']]); // the middle map coalesced away, no repeated call
    expect(sorted(calls[1].changes)).toEqual({ previous: calls[0].map, added: ['/s/c'], removed: [], updated: ['/s/a'] });
    h.stop();
  });

  it('without a change set from the core (a one-argument delivery) the changes are computed', async () => {
    const { h, calls } = recording();
    await h.deliver(map(1));
    await h.deliver(map(2));
    expect(sorted(calls[1].changes)).toEqual({ previous: map(1), added: ['/s/2'], removed: ['/s/1'], updated: [] });
    h.stop();
  });
});

describe('change sets between two maps (the path of a retried or coalesced call)', () => {
  it('service maps: by key and value', () => {
    const from = { '/s/a': '1', '/s/b': '1', '/s/c': '1' };
    const to = { '/s/b': '1', '/s/c': '2', '/s/d': '1' };
    expect(mapChangesBetween(from, to)).toEqual({ previous: from, added: ['/s/d'], removed: ['/s/a'], updated: ['/s/c'] });
    expect(mapChangesBetween(undefined, to)).toEqual({ previous: undefined, added: ['/s/b', '/s/c', '/s/d'], removed: [], updated: [] });
    expect(mapChangesBetween(to, to)).toEqual({ previous: to, added: [], removed: [], updated: [] });
  });

  it('instance maps: by etcd key and raw value, skipped entries by their reason', () => {
    const a1 = instance('users', 'a1');
    const b1 = instance('orders', 'b1');
    const from = fleetOf(a1, b1, instance('users', 'a2'));
    const to = new FrozenInstanceMap(
      [
        ['orders', [b1]],
        ['users', [a1, instance('users', 'a2', { value: '10.0.0.9:3000', address: '10.0.0.9:3000' }), instance('users', 'a3')]],
      ],
      [{ key: '/services/users/bad', reason: 'not JSON' }],
    );
    expect(instanceChangesBetween(from, to)).toEqual({
      previous: from,
      added: ['/services/users/a3', '/services/users/bad'],
      removed: [],
      updated: ['/services/users/a2'],
    });
    const later = fleetOf(b1);
    expect(instanceChangesBetween(to, later)).toEqual({
      previous: to,
      added: [],
      removed: ['/services/users/a1', '/services/users/a2', '/services/users/a3', '/services/users/bad'],
      updated: [],
    });
    expect(instanceChangesBetween(undefined, later)).toEqual({
      previous: undefined,
      added: ['/services/orders/b1'],
      removed: [],
      updated: [],
    });
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
