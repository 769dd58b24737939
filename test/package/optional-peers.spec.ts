import { execFileSync, spawnSync } from 'child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

const ROOT = join(__dirname, '..', '..');

/**
 * With an optional peer missing, a caught import or require of its wing never
 * takes the process down, and the error names the package and the install command. A temporary
 * project holds a copy of the build and every installed package but @nestjs/axios and axios.
 */
describe('a missing optional peer (child processes, temporary project)', () => {
  let project: string;
  beforeAll(() => {
    // A build of its own (as `npm run build` makes it), not a copy of dist/: another spec's `npm pack`
    // rebuilds dist/ (prepack) and a copy taken meanwhile may lack the peer checks.
    const cache = join(ROOT, 'node_modules', '.cache');
    mkdirSync(cache, { recursive: true });
    const build = mkdtempSync(join(cache, 'peer-build-'));
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', build], {
      cwd: ROOT,
      stdio: 'ignore',
    });
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'esm-entries.mjs')], {
      cwd: ROOT,
      env: { ...process.env, ESM_ENTRIES_DIST: build },
      stdio: 'ignore',
    });
    project = mkdtempSync(join(tmpdir(), 'peer-missing-'));
    const modules = join(project, 'node_modules');
    mkdirSync(modules);
    const left = new Set(['@nestjs/axios', 'axios', 'nestjs-etcd-registry']);
    for (const name of readdirSync(join(ROOT, 'node_modules'))) {
      if (name.startsWith('.')) continue;
      if (name.startsWith('@')) {
        mkdirSync(join(modules, name));
        for (const sub of readdirSync(join(ROOT, 'node_modules', name))) {
          if (!left.has(`${name}/${sub}`)) symlinkSync(join(ROOT, 'node_modules', name, sub), join(modules, name, sub));
        }
      } else if (!left.has(name)) symlinkSync(join(ROOT, 'node_modules', name), join(modules, name));
    }
    const own = join(modules, 'nestjs-etcd-registry');
    mkdirSync(own);
    cpSync(build, join(own, 'dist'), { recursive: true });
    rmSync(build, { recursive: true, force: true });
    cpSync(join(ROOT, 'package.json'), join(own, 'package.json'));
    writeFileSync(join(project, 'package.json'), '{"name":"peer-missing","private":true}');
  }, 180_000);
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  const node = (args: string[], source: string) =>
    spawnSync(process.execPath, [...args, '-e', source], { cwd: project, encoding: 'utf8', timeout: 60_000 });

  it('ESM: a caught import rejects with the install hint, and the process goes on (exit 0)', () => {
    const res = node(
      ['--input-type=module'],
      `try { await import('nestjs-etcd-registry/axios'); console.log('loaded'); }
       catch (e) { console.log('caught: ' + e.message); }
       const main = await import('nestjs-etcd-registry');
       console.log('main: ' + typeof main.EtcdRegistryModule);`,
    );
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    expect(res.stdout).toContain('caught: nestjs-etcd-registry/axios needs @nestjs/axios and axios');
    expect(res.stdout).toContain('npm install @nestjs/axios axios');
    expect(res.stdout).toContain('main: function');
  });

  it('CommonJS: a caught require throws the same error, and the process goes on (exit 0)', () => {
    const res = node(
      [],
      `try { require('nestjs-etcd-registry/axios'); console.log('loaded'); }
       catch (e) { console.log('caught: ' + e.name + ': ' + e.message); }
       console.log('main: ' + typeof require('nestjs-etcd-registry').EtcdRegistryModule);`,
    );
    expect(res.status).toBe(0);
    expect(res.stdout).toContain('caught: OptionalPeerMissingError: nestjs-etcd-registry/axios needs @nestjs/axios and axios');
    expect(res.stdout).toContain('npm install @nestjs/axios axios');
    expect(res.stdout).toContain('main: function');
  });
});
