import { createRegistry, InstanceMap, ServiceInstance, watchInstances } from '../../core';
import type { CliIo } from '../cli-io';
import type { CliOptions } from '../cli-options';
import { ExitCode } from '../exit-codes';
import { diffInstances, indexInstances, InstanceChangeType } from '../instance-changes';
import { instanceJson, instanceLine } from '../instance-format';
import { cliMessages } from '../messages';

const SIGN: Record<InstanceChangeType | 'present', string> = { present: '=', added: '+', removed: '-', changed: '~' };

/** Resolves on the first SIGINT or SIGTERM (the listeners are removed then). */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/**
 * `watch`: the instances present (`=` lines), then one line per change as etcd reports it (`+`
 * added, `-` removed, `~` changed), each stamped with the local time; with --json one object a
 * line. Runs until SIGINT or SIGTERM, then closes the watch and exits 0. Says on stderr when the
 * watch stops being live (etcd unreachable) and when it is live again.
 */
export async function watchCommand(options: CliOptions, io: CliIo, stop: Promise<unknown> = untilSignal()): Promise<ExitCode> {
  const registry = createRegistry(options.registry);
  let last = new Map<string, ServiceInstance>();
  let first = true;
  const print = (type: InstanceChangeType | 'present', instance: ServiceInstance) => {
    const at = new Date().toISOString();
    if (options.json) io.out(JSON.stringify({ type, at, instance: instanceJson(instance) }));
    else io.out(`${at} ${SIGN[type]} ${instanceLine(instance)}`);
  };
  const onMap = (map: InstanceMap) => {
    if (first) {
      for (const instance of map.all()) print('present', instance);
      first = false;
    } else {
      for (const change of diffInstances(last, map.all())) print(change.type, change.instance);
    }
    last = indexInstances(map.all());
  };
  let liveTimer: NodeJS.Timeout | undefined;
  try {
    await watchInstances(registry, options.prefix, onMap, { codec: options.codec });
    const watch = () => registry.status().watches.find((w) => w.prefix === options.prefix);
    io.err(cliMessages.watching(options.prefix, watch()?.revision));
    let live = true;
    liveTimer = setInterval(() => {
      const now = watch()?.live ?? false;
      if (now !== live) io.err(now ? cliMessages.watchLive(options.prefix) : cliMessages.watchStale(options.prefix));
      live = now;
    }, 500);
    await stop;
    return ExitCode.ok;
  } finally {
    if (liveTimer) clearInterval(liveTimer);
    await registry.close();
  }
}
