import { execFileSync } from 'child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

const ROOT = join(__dirname, '..', '..');

/**
 * A temporary project where `nestjs-etcd-registry` is installed as `npm run build` makes it, beside
 * every package of this repository's node_modules but those `left` out (`@nestjs/axios`, or a whole
 * scope as `@nestjs/*`). The build is one of its own, not a copy of dist/: another spec's `npm pack`
 * rebuilds dist/ (prepack) and a copy taken meanwhile may lack the peer checks. Returns its folder.
 */
export function projectWithBuiltPackage(prefix: string, left: readonly string[]): string {
  const cache = join(ROOT, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const build = mkdtempSync(join(cache, `${prefix}build-`));
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', build], {
    cwd: ROOT,
    stdio: 'ignore',
  });
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'esm-entries.mjs')], {
    cwd: ROOT,
    env: { ...process.env, ESM_ENTRIES_DIST: build },
    stdio: 'ignore',
  });
  const project = mkdtempSync(join(tmpdir(), prefix));
  const modules = join(project, 'node_modules');
  mkdirSync(modules);
  const omitted = (name: string) =>
    name === 'nestjs-etcd-registry' || left.some((l) => l === name || (l.endsWith('/*') && name.startsWith(l.slice(0, -1))));
  for (const name of readdirSync(join(ROOT, 'node_modules'))) {
    if (name.startsWith('.')) continue;
    if (name.startsWith('@')) {
      mkdirSync(join(modules, name));
      for (const sub of readdirSync(join(ROOT, 'node_modules', name))) {
        if (!omitted(`${name}/${sub}`)) symlinkSync(join(ROOT, 'node_modules', name, sub), join(modules, name, sub));
      }
    } else if (!omitted(name)) symlinkSync(join(ROOT, 'node_modules', name), join(modules, name));
  }
  const own = join(modules, 'nestjs-etcd-registry');
  mkdirSync(own);
  cpSync(build, join(own, 'dist'), { recursive: true });
  rmSync(build, { recursive: true, force: true });
  cpSync(join(ROOT, 'package.json'), join(own, 'package.json'));
  writeFileSync(join(project, 'package.json'), `{"name":"${prefix.replace(/-$/, '')}","private":true}`);
  return project;
}
