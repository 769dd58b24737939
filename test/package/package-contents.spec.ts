import { execFileSync } from 'child_process';
import { readFileSync } from 'fs';
import { join } from 'path';
import { exportedNames } from '../support/exported-names';

jest.setTimeout(120_000);

const ROOT = join(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  exports: Record<string, string | Record<string, Record<string, string>>>;
  peerDependencies: Record<string, string>;
  engines: { node: string };
  repository?: { url: string };
  homepage?: string;
  bugs?: { url: string };
};

interface PackEntry {
  files: { path: string }[];
}

/** What `npm pack` would put in the tarball (its prepack script builds dist/ first). */
function packedFiles(): string[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts=false'], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const json = out.slice(out.indexOf('['));
  return (JSON.parse(json) as PackEntry[])[0].files.map((f) => f.path).sort();
}

/** Runs an ES module in a fresh Node process from the repository root and returns its stdout. */
function runEsm(source: string): string {
  return execFileSync(process.execPath, ['--input-type=module', '-e', source], { cwd: ROOT, encoding: 'utf8' });
}

describe('the published package', () => {
  let files: string[];

  beforeAll(() => {
    files = packedFiles();
  });

  it('holds the build, the README, the licence and package.json, and nothing else', () => {
    const outside = files.filter((f) => !f.startsWith('dist/') && !['package.json', 'README.md', 'LICENSE'].includes(f));
    expect(outside).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'LICENSE']));
    const unexpected = files.filter((f) => f.startsWith('dist/') && !/\.(js|d\.ts|mjs|d\.mts)$/.test(f));
    expect(unexpected).toEqual([]);
  });

  it('ships no source map (they would point at lib/*.ts, which is not shipped), no spec and no test support', () => {
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    expect(files.filter((f) => /\.spec\.|(^|\/)test\/|tsbuildinfo/.test(f))).toEqual([]);
  });

  it('has every file the exports map points at, for import and require, types included', () => {
    const targets: string[] = [];
    for (const [subpath, conditions] of Object.entries(pkg.exports)) {
      if (subpath === './package.json') continue;
      for (const condition of ['import', 'require']) {
        const entry = (conditions as Record<string, Record<string, string>>)[condition];
        expect(entry).toEqual({ types: expect.any(String), default: expect.any(String) });
        targets.push(entry.types, entry.default);
      }
    }
    expect(targets.map((t) => t.replace(/^\.\//, '')).filter((t) => !files.includes(t))).toEqual([]);
    expect(Object.keys(pkg.exports).sort()).toEqual([
      '.',
      './axios',
      './core',
      './dashboard',
      './event-emitter',
      './grpc',
      './microservices',
      './opentelemetry',
      './package.json',
      './prometheus',
      './terminus',
      './testing',
      './testing/etcd',
    ]);
  });

  it('has a root entry of at most 60 names (values and types, read from dist/index.d.ts) and a core entry of its own', () => {
    const root = exportedNames(join(ROOT, 'dist', 'index.d.ts'));
    expect(root.length).toBeLessThanOrEqual(60);
    expect(root).not.toContain('InstanceDecoder');
    expect(exportedNames(join(ROOT, 'dist', 'core', 'index.d.ts'))).toEqual(expect.arrayContaining(['createRegistry', 'InstanceDecoder']));
    expect(files).toEqual(expect.arrayContaining(['dist/core/index.mjs', 'dist/core/index.d.mts']));
  });

  it('names its repository, home page and issue tracker, covers Nest 11 and 12, and states the Node versions', () => {
    expect(pkg.repository?.url).toMatch(/^git\+https:\/\/github\.com\/[^/]+\/[^/]+\.git$/);
    const repo = pkg.repository!.url.replace(/^git\+/, '').replace(/\.git$/, '');
    expect(pkg.homepage).toBe(`${repo}#readme`);
    expect(pkg.bugs?.url).toBe(`${repo}/issues`);
    expect(pkg.peerDependencies['@nestjs/common']).toBe('^11.0.0 || ^12.0.0');
    expect(pkg.peerDependencies['@nestjs/core']).toBe('^11.0.0 || ^12.0.0');
    expect(pkg.engines.node).toBe('^20.19.0 || >=22.12.0');
  });

  it('has only absolute links in the README (relative ones are dead on the registry page)', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const links = [...readme.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]);
    expect(links.length).toBeGreaterThan(0);
    expect(links.filter((l) => !/^https:\/\//.test(l) && !l.startsWith('#'))).toEqual([]);
  });

  it('gives an ESM import and a CommonJS require one and the same module: one copy of every class, every name in both', () => {
    const report = JSON.parse(
      runEsm(`
        import { createRequire } from 'node:module';
        const require = createRequire(import.meta.url);
        const out = {};
        for (const entry of ['${pkg.name}', '${pkg.name}/core', '${pkg.name}/testing', '${pkg.name}/testing/etcd']) {
          const esm = await import(entry);
          const cjs = require(entry);
          const cjsNames = Object.keys(cjs).filter((k) => k !== '__esModule').sort();
          out[entry] = {
            esmNames: Object.keys(esm).sort(),
            cjsNames,
            same: cjsNames.filter((k) => esm[k] !== cjs[k]),
          };
        }
        console.log(JSON.stringify(out));
      `),
    ) as Record<string, { esmNames: string[]; cjsNames: string[]; same: string[] }>;
    const main = report[pkg.name];
    expect(main.esmNames).toEqual(main.cjsNames);
    expect(main.esmNames).toEqual(expect.arrayContaining(['EtcdRegistryModule', 'RegistryService', 'WatchServices', 'createRegistry']));
    expect(main.same).toEqual([]);
    const core = report[`${pkg.name}/core`];
    expect(core.esmNames).toEqual(core.cjsNames);
    expect(core.esmNames).toEqual(expect.arrayContaining(['createRegistry', 'LoadBalancer', 'RegistryEvents', 'resolveRegistryOptions']));
    expect(core.esmNames).not.toContain('EtcdRegistryModule');
    expect(core.same).toEqual([]);
    const testing = report[`${pkg.name}/testing`];
    expect(testing.esmNames).toEqual(testing.cjsNames);
    expect(testing.same).toEqual([]);
    const etcdKit = report[`${pkg.name}/testing/etcd`];
    expect(etcdKit.esmNames).toEqual(etcdKit.cjsNames);
    expect(etcdKit.esmNames).toEqual(expect.arrayContaining(['EtcdTestServer', 'FaultProxy', 'EtcdBinaryNotFoundError']));
    expect(etcdKit.same).toEqual([]);
  });
});
