import { readFileSync } from 'fs';
import { dirname, join } from 'path';

const PACKAGE_NAME = 'nestjs-etcd-registry';

/**
 * This package's version, from its package.json: the nearest one up from this file named
 * nestjs-etcd-registry (dist/cli/ when installed, lib/cli/ in the repository).
 */
export function packageVersion(from = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === PACKAGE_NAME && pkg.version) return pkg.version;
    } catch {
      /* no package.json here: look further up */
    }
    if (dirname(dir) === dir) return 'unknown';
  }
}
