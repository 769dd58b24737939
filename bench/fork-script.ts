import { ChildProcess, fork } from 'child_process';
import { join } from 'path';

/** The benchmark's child processes: a bench/ script forked with the plain TypeScript hook (ts-hook.js), stopped by PID. */
const HOOK = join(__dirname, 'ts-hook.js');
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** Forks a bench script with the plain TypeScript hook; resolves with the child and its first message. */
export function forkScript<T>(
  script: string,
  env: Record<string, string>,
  execArgv: string[] = [],
  timeoutMs = 60_000,
): Promise<{ child: ChildProcess; first: T }> {
  const child = fork(join(__dirname, script), [], {
    execArgv: ['-r', HOOK, ...execArgv],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start within ${timeoutMs} ms`)), timeoutMs);
    child.once('message', (first: T) => {
      clearTimeout(timer);
      resolve({ child, first });
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${code ?? signal})`));
    });
  });
}

/** SIGKILL by PID; resolves once the process is gone. */
export async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}
