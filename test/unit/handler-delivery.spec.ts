import { HandlerDelivery } from '../../lib/core/watch/handler-delivery';
import { ServiceMap } from '../../lib';
import { ServiceMapState } from '../../lib/core/watch/service-map-state';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
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
      () => undefined,
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
      (e) => errors.push(e),
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
    const d = new HandlerDelivery(() => void calls++, state, () => undefined);
    d.notify();
    await d.first;
    d.notify();
    d.stop();
    state.put('x', '1');
    d.notify();
    await new Promise((r) => setImmediate(r));
    expect(calls).toBe(1);
  });
});
