/**
 * The system under test of model-watch.spec.ts, in its own process: one registry watching one
 * prefix (EtcdRegistry.addWatch), whose event loop the test can block for a while (a busy loop)
 * without blocking its own etcd client.
 *
 * Messages in: { cmd: 'watch', endpoints, prefix } | { cmd: 'status' } | { cmd: 'snapshot' } |
 * { cmd: 'stall', ms } | { cmd: 'unwatch' } | { cmd: 'close' }.
 * Every reply carries the request's `id`; a failure answers { id, error }.
 */
import { createRegistry, Registry, ServiceMap } from '../../lib/core';

export type WorkerRequest =
  | { id: number; cmd: 'watch'; endpoints: string[]; prefix: string }
  | { id: number; cmd: 'status' }
  | { id: number; cmd: 'snapshot' }
  | { id: number; cmd: 'stall'; ms: number }
  | { id: number; cmd: 'unwatch' }
  | { id: number; cmd: 'close' };

/** The watch as status() reports it, and (for 'snapshot') the last map its handler got, taken together. */
export interface WatchSnapshot {
  live: boolean;
  /** status().watches[0].revision, as a number (0 when unset). */
  revision: number;
  /** How many keys the handler's last map holds. */
  size: number;
  map?: Record<string, string>;
  /** For 'stall': 'stalling' (sent before the busy loop starts) or 'stalled' (after it). */
  phase?: 'stalling' | 'stalled';
}

export type WorkerReply = { id: number; error?: string } & Partial<WatchSnapshot>;

let registry: Registry | undefined;
let prefix = '';
let last: ServiceMap | undefined;

function reply(msg: WorkerReply, then?: () => void): void {
  process.send!(msg, () => then?.());
}

function current(withMap: boolean): WatchSnapshot {
  const watch = registry?.status().watches.find((w) => w.prefix === prefix);
  return {
    live: watch?.live ?? false,
    revision: Number(watch?.revision ?? 0),
    size: last ? Object.keys(last).length : 0,
    map: withMap && last ? { ...last } : undefined,
  };
}

/** Blocks this process's event loop (timers, sockets, IPC) for `ms`. */
function busy(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    /* spin */
  }
}

async function handle(msg: WorkerRequest): Promise<void> {
  try {
    switch (msg.cmd) {
      case 'watch':
        await registry?.close();
        last = undefined;
        prefix = msg.prefix;
        registry = createRegistry({ endpoints: msg.endpoints, timeoutMs: 5000 });
        await registry.addWatch(prefix, (map) => {
          last = map;
        });
        reply({ id: msg.id, ...current(false) });
        break;
      case 'status':
        reply({ id: msg.id, ...current(false) });
        break;
      case 'snapshot':
        reply({ id: msg.id, ...current(true) });
        break;
      case 'stall':
        // The busy loop starts once the parent has been told (the write is done), so it can time its burst.
        reply({ id: msg.id, phase: 'stalling' }, () => {
          busy(msg.ms);
          reply({ id: msg.id, phase: 'stalled' });
        });
        break;
      case 'unwatch':
        await registry?.close();
        registry = undefined;
        last = undefined;
        reply({ id: msg.id });
        break;
      case 'close':
        await registry?.close();
        reply({ id: msg.id }, () => process.exit(0));
        break;
    }
  } catch (e) {
    reply({ id: msg.id, error: (e as Error).stack ?? String(e) });
  }
}

// handle() answers its own errors; nothing awaits it.
process.on('message', (msg: WorkerRequest) => void handle(msg));
process.on('disconnect', () => process.exit(0));
