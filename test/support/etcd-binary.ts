import { execFileSync, spawnSync } from 'child_process';
import { delimiter, join } from 'path';
import { isExecutable, findEtcdBinary as kitFindEtcdBinary } from '../../lib/testing/etcd/etcd-binary';
import { EtcdBinaryNotFoundError } from '../../lib/testing/etcd/errors';

/** An executable on PATH (then /usr/bin, /usr/local/bin). */
export function lookup(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  }
  for (const dir of ['/usr/bin', '/usr/local/bin']) {
    if (isExecutable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

export function canInstallWithApt(): boolean {
  return process.getuid?.() === 0 && lookup('apt-get') !== undefined;
}

/** Installs Debian packages with apt-get (root only); throws `hint` when that is not possible. */
export function aptInstall(packages: string[], hint: string): void {
  if (!canInstallWithApt()) throw new Error(hint);
  process.stderr.write(`installing Debian package(s) ${packages.join(' ')} (apt-get)...\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  const res = spawnSync('apt-get', ['install', '-y', '-qq', ...packages], { stdio: ['ignore', 'ignore', 'inherit'], env });
  if (res.status !== 0) throw new Error(`apt-get install ${packages.join(' ')} failed. ${hint}`);
}

const found = new Map<string, string>();

/**
 * Finds a binary (its env variable, then PATH). When it is missing and this is a root shell with
 * apt-get, installs Debian's `etcd-server` and `etcd-client`; otherwise throws one line that
 * says how to install them. Debian's package does not start a daemon without systemd, and where
 * it does (on 2379) nothing here uses or disturbs it.
 */
function findBinary(name: string, envVariable: string): string {
  const known = found.get(name);
  if (known) return known;
  const hint = `${name} is not installed: run \`apt-get install -y etcd-server etcd-client\` (Debian/Ubuntu) or set ${envVariable} to the ${name} binary`;
  const fromEnv = process.env[envVariable];
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new Error(`${envVariable}=${fromEnv} is not an executable file. ${hint}`);
    found.set(name, fromEnv);
    return fromEnv;
  }
  let path = lookup(name);
  if (!path) {
    aptInstall(['etcd-server', 'etcd-client'], hint);
    path = lookup(name);
    if (!path) throw new Error(hint);
  }
  found.set(name, path);
  return path;
}

/**
 * The etcd server binary as the fault kit finds it (ETCD_BIN, then PATH: lib/testing/etcd), and when it
 * finds none and ETCD_BIN is unset, installed with apt-get where it can be.
 */
export function findEtcdBinary(): string {
  try {
    return kitFindEtcdBinary();
  } catch (e) {
    if (!(e instanceof EtcdBinaryNotFoundError) || process.env.ETCD_BIN) throw e;
    return findBinary('etcd', 'ETCD_BIN');
  }
}

/** The etcdctl binary (ETCDCTL_BIN, then PATH), installed with apt-get where it can be. */
export function findEtcdctlBinary(): string {
  return findBinary('etcdctl', 'ETCDCTL_BIN');
}

export function etcdVersion(): string {
  const out = execFileSync(findEtcdBinary(), ['--version'], { encoding: 'utf8' });
  return /etcd Version: (\S+)/.exec(out)?.[1] ?? out.split('\n')[0];
}
