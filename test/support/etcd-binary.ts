import { execFileSync, spawnSync } from 'child_process';
import { accessSync, constants } from 'fs';
import { delimiter, join } from 'path';

const INSTALL_HINT =
  'etcd is not installed: run `apt-get install -y etcd-server` (Debian/Ubuntu) or set ETCD_BIN to the etcd binary';

let cached: string | undefined;

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function lookup(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  }
  for (const dir of ['/usr/bin', '/usr/local/bin']) {
    if (isExecutable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

function canInstallWithApt(): boolean {
  return process.getuid?.() === 0 && lookup('apt-get') !== undefined;
}

/**
 * Finds the etcd binary (ETCD_BIN, then PATH). When it is missing and this is a root
 * shell with apt-get, installs Debian's `etcd-server`; otherwise throws one line that
 * says how to install it. Debian's package does not start a daemon without systemd,
 * and where it does (on 2379) nothing here uses or disturbs it.
 */
export function findEtcdBinary(): string {
  if (cached) return cached;
  const fromEnv = process.env.ETCD_BIN;
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new Error(`ETCD_BIN=${fromEnv} is not an executable file. ${INSTALL_HINT}`);
    return (cached = fromEnv);
  }
  const found = lookup('etcd');
  if (found) return (cached = found);
  if (!canInstallWithApt()) throw new Error(INSTALL_HINT);
  process.stderr.write('etcd not found: installing Debian package etcd-server (apt-get)...\n');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  const res = spawnSync('apt-get', ['install', '-y', '-qq', 'etcd-server'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  const installed = lookup('etcd');
  if (res.status !== 0 || !installed) throw new Error(`apt-get install etcd-server failed. ${INSTALL_HINT}`);
  return (cached = installed);
}

export function etcdVersion(): string {
  const out = execFileSync(findEtcdBinary(), ['--version'], { encoding: 'utf8' });
  return /etcd Version: (\S+)/.exec(out)?.[1] ?? out.split('\n')[0];
}
