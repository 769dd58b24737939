/**
 * A child process for tests: creates a registry on ETCD_ENDPOINTS, registers REGISTER_PATH
 * (value REGISTER_VALUE), optionally watches WATCH_PREFIX, prints "ready" and then either
 * closes and returns (MODE=close: the process must then exit by itself) or waits to be killed
 * (MODE=wait).
 */
import { createRegistry } from '../../lib';

async function main(): Promise<void> {
  const endpoints = (process.env.ETCD_ENDPOINTS ?? '').split(',');
  const registry = createRegistry({ endpoints, ttlSeconds: Number(process.env.TTL_SECONDS ?? 2) });
  await registry.register(process.env.REGISTER_PATH!, process.env.REGISTER_VALUE ?? 'child');
  if (process.env.WATCH_PREFIX) await registry.addWatch(process.env.WATCH_PREFIX, () => undefined);
  process.stdout.write('ready\n');
  if (process.env.MODE === 'close') await registry.close();
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
