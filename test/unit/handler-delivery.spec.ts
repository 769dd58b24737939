import { HandlerDelivery } from '../../lib/core/watch/handler-delivery';
import { ServiceMap } from '../../lib';
import { ServiceMapState } from '../../lib/core/watch/service-map-state';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

function reports(error: (e: unknown) => void = () => undefined, stuck: (ms: number) => void = () => undefined) {
  return { error, stuck };
}

describe('HandlerDelivery', () => {
  it('coalesces changes made while the handler runs and delivers the latest map next', async () => {
    const state = new ServiceMapState();
    state.put('a', '0');
    const seen: ServiceMap[] = [];
    const gate = deferred();
    const d = new HandlerDelivery(
      async (m) => {
        seen.push(m);
        if (seen.length === 1) await gate.promise;
      },
      state,
      reports(),
      1000,
    );
    d.notify();
    for (let i = 1; i <= 10; i++) {
      state.put('a', String(i));
      d.notify();
    }
    gate.resolve();
    await d.first;
    await new Promise((r) => setImmediate(r));
    expect(seen.map((m) => m.a)).toEqual(['0', '10']);
  });

  it('reports a throwing handler and keeps delivering', async () => {
    const state = new ServiceMapState();
    state.put('a', '1');
    const errors: unknown[] = [];
    let calls = 0;
    const d = new HandlerDelivery(
      () => {
        calls++;
        throw new Error('boom');
      },
      state,
      reports((e) => errors.push(e)),
      1000,
    );
    d.notify();
    await d.first;
    state.put('a', '2');
    d.notify();
    await new Promise((r) => setImmediate(r));
    expect(calls).toBe(2);
    expect(errors).toHaveLength(2);
  });

  it('does not call again for a version already delivered, nor after stop', async () => {
    const state = new ServiceMapState();
    let calls = 0;
    const d = new HandlerDelivery(() => void calls++, state, reports(), 1000);
    d.notify();
    await d.first;
    d.notify();
    d.stop();
    state.put('x', '1');
    d.notify();
    await new Promise((r) => setImmediate(r));
    expect(calls).toBe(1);
  });

  it('a call that never settles: reported as stuck after the bound, the first call counts as made, no overlapping call', async () => {
    const state = new ServiceMapState();
    state.put('a', '1');
    const stuck: number[] = [];
    const gate = deferred();
    const seen: string[] = [];
    const d = new HandlerDelivery(
      async (m) => {
        seen.push(m.a);
        if (seen.length === 1) await gate.promise;
      },
      state,
      reports(undefined, (ms) => stuck.push(ms)),
      50,
    );
    d.notify();
    expect(await d.first).toBe('delivered');
    expect(stuck).toEqual([50]);
    // While the first call hangs, changes are not delivered to this handler (calls never overlap)...
    state.put('a', '2');
    d.notify();
    state.put('a', '3');
    d.notify();
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual(['1']);
    // ...and once it settles, it gets the latest map.
    gate.resolve();
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual(['1', '3']);
    expect(stuck).toEqual([50]);
  });

  it('a handler whose result has a throwing then getter is reported, and the next change is still delivered', async () => {
    const state = new ServiceMapState();
    state.put('a', '1');
    const errors: unknown[] = [];
    const seen: string[] = [];
    const d = new HandlerDelivery(
      (m) => {
        seen.push(m.a);
        // A "thenable" that throws when asked for then: the call is reported, not an unhandled rejection.
        if (seen.length === 1)
          return Object.defineProperty({}, 'then', {
            get: () => {
              throw new Error('bad then');
            },
          }) as Promise<void>;
      },
      state,
      reports((e) => errors.push(e)),
      1000,
    );
    d.notify();
    expect(await d.first).toBe('delivered');
    expect((errors[0] as Error).message).toBe('bad then');
    state.put('a', '2');
    d.notify();
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual(['1', '2']);
  });

  it('a synchronous handler that runs past the bound is not reported as stuck (it returned)', async () => {
    const state = new ServiceMapState();
    state.put('a', '1');
    const stuck: number[] = [];
    const d = new HandlerDelivery(
      () => {
        const until = Date.now() + 30;
        while (Date.now() < until);
      },
      state,
      reports(undefined, (ms) => stuck.push(ms)),
      10,
    );
    d.notify();
    expect(await d.first).toBe('delivered');
    await new Promise((r) => setTimeout(r, 30));
    expect(stuck).toEqual([]);
  });

  it('first settles as stopped when stopped before the first call', async () => {
    const d = new HandlerDelivery(() => undefined, new ServiceMapState(), reports(), 1000);
    d.stop();
    expect(await d.first).toBe('stopped');
  });
});
