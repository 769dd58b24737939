import { accessSync, constants } from 'fs';
import { delimiter, join } from 'path';
import { EtcdBinaryNotFoundError } from './errors';

/** Whether `file` exists and may be executed by this process. */
export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** How to get etcd, in one sentence (part of every "not found" message). */
export const INSTALL_ETCD_HINT =
  'install etcd (Debian/Ubuntu: `apt-get install etcd-server`; macOS: `brew install etcd`; anywhere: a release archive ' +
  'from https://github.com/etcd-io/etcd/releases) and put `etcd` on PATH or set ETCD_BIN to it, ' +
  'or attach to a running etcd with EtcdTestServer.attach({ endpoints })';

/**
 * The etcd server binary: `binary` if given, else ETCD_BIN, else `etcd` on PATH. Throws EtcdBinaryNotFoundError naming ETCD_BIN, PATH and how to install etcd.
 */
export function findEtcdBinary(binary?: string): string {
  const given = binary ?? process.env.ETCD_BIN;
  if (given) {
    if (!isExecutable(given)) {
      const source = binary !== undefined ? `the binary option (${given})` : `ETCD_BIN=${given}`;
      throw new EtcdBinaryNotFoundError(`${source} is not an executable file: ${INSTALL_ETCD_HINT}`);
    }
    return given;
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean))
    if (isExecutable(join(dir, 'etcd'))) return join(dir, 'etcd');
  throw new EtcdBinaryNotFoundError(
    `no etcd binary: ETCD_BIN is not set and there is no \`etcd\` on PATH. To fix it, ${INSTALL_ETCD_HINT}`,
  );
}
