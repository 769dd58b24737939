import { ChildProcess, spawn } from 'child_process';
import { Etcd3 } from 'etcd3';
import { join } from 'path';
import { startEtcd } from '../support/etcd-launcher';
import { freePort } from '../support/free-port';
import { waitFor } from '../support/wait-for';

/** The service docs/nest.md's application module configures, and the prefix its handler watches. */
const SERVICE_PREFIX = '/services/user-service/';

export interface AppCheckResult {
  registeredMs: number;
  handlerSawItselfMs: number;
  /** From SIGTERM to the key gone from etcd (the process exit included). */
  deregisteredMs: number;
  /** The endpoints of the etcd the check started (and stopped before returning). */
  etcdEndpoints: string[];
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/**
 * Runs the built application (`dist/main.js`) with the Node in `binDir` against a fresh etcd on free
 * loopback ports: it must register its own instance, its @WatchServices handler must log a map that
 * holds it, no debug line of the registry may show, and SIGTERM must delete its key at once (well
 * before the lease's TTL could).
 */
export async function checkApp(appDir: string, binDir: string, env: NodeJS.ProcessEnv): Promise<AppCheckResult> {
  const etcd = await startEtcd();
  const client = new Etcd3({ hosts: etcd.endpoints });
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  let output = '';
  let child: ChildProcess | undefined;
  try {
    const t0 = performance.now();
    child = spawn(join(binDir, 'node'), ['dist/main.js'], {
      cwd: appDir,
      env: { ...env, ETCD_ENDPOINTS: etcd.endpoints.join(','), ADVERTISE_ADDRESS: address, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const running = child;
    const alive = () => {
      if (running.exitCode !== null || running.signalCode !== null) throw new Error(`the application exited early:\n${output}`);
    };

    const key = await waitFor(
      async () => {
        alive();
        const map = await client.getAll().prefix(SERVICE_PREFIX).strings();
        return Object.keys(map).find((k) => map[k] === address);
      },
      { timeoutMs: 30_000, message: `a key under ${SERVICE_PREFIX} holding ${address}` },
    );
    const registeredMs = performance.now() - t0;

    const ownLine = new RegExp(`UserServicePool.*${address.replace(/\./g, '\\.')}`);
    await waitFor(
      () => {
        alive();
        return ownLine.test(output);
      },
      { timeoutMs: 10_000, message: `the @WatchServices handler logging its own instance ${address}` },
    );
    const handlerSawItselfMs = performance.now() - t0;
    if (/DEBUG.*\[EtcdRegistry\]/.test(output)) throw new Error(`the registry logged debug detail by default:\n${output}`);

    const t1 = performance.now();
    running.kill('SIGTERM');
    const exit = await Promise.race([
      exited(running),
      new Promise<never>((_, r) => setTimeout(() => r(new Error('no exit 10 s after SIGTERM')), 10_000)),
    ]);
    if (exit.code !== 0 && exit.signal !== 'SIGTERM')
      throw new Error(`exit after SIGTERM: code ${exit.code}, signal ${exit.signal}:\n${output}`);
    const left = await client.get(key).string();
    const deregisteredMs = performance.now() - t1;
    if (left !== null) throw new Error(`${key} is still in etcd after the application exited on SIGTERM:\n${output}`);
    return { registeredMs, handlerSawItselfMs, deregisteredMs, etcdEndpoints: etcd.endpoints };
  } catch (error) {
    if (error instanceof Error && !error.message.includes(output.slice(-200)) && output)
      error.message += `\n--- application output ---\n${output}`;
    throw error;
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited(child);
    }
    client.close();
    await etcd.stop();
  }
}
