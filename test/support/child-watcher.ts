/**
 * A child process for tests: a registry on ETCD_ENDPOINTS watching WATCH_PREFIX, driven over IPC.
 * It sends { type: 'ready' } once the watch is set up, then answers:
 * - { type: 'block', ms }: sends { type: 'blocking' }, then keeps its event loop busy for `ms` ms
 *   (a slow consumer: etcd must hold back or batch the events meanwhile), then sends { type: 'unblocked' };
 * - { type: 'dump' }: sends { type: 'dump', status, map } with the watch's status() and the last
 *   map its handler got, taken in the same tick.
 */
import { createRegistry } from '../../lib';
import type { ServiceMap } from '../../lib/core';

type Command = { type: 'block'; ms: number } | { type: 'dump' };

async function main(): Promise<void> {
  const endpoints = (process.env.ETCD_ENDPOINTS ?? '').split(',');
  const prefix = process.env.WATCH_PREFIX!;
  const registry = createRegistry({ endpoints, timeoutMs: 5000 });
  let last: ServiceMap = {};
  await registry.addWatch(prefix, (map) => {
    last = map;
  });
  process.on('message', (cmd: Command) => {
    if (cmd.type === 'dump') {
      const status = registry.status().watches.find((w) => w.prefix === prefix);
      process.send!({ type: 'dump', status, map: { ...last } });
    } else if (cmd.type === 'block') {
      process.send!({ type: 'blocking' }, () => {
        const until = Date.now() + cmd.ms;
        while (Date.now() < until) {
          // busy: no I/O, no timers, no watch responses handled
        }
        process.send!({ type: 'unblocked' });
      });
    }
  });
  // The IPC channel keeps the process alive; the parent kills it.
  process.send!({ type: 'ready' });
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
