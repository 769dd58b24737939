import { spawnSync } from 'child_process';
import { rmSync } from 'fs';
import { projectWithBuiltPackage } from '../support/built-package';
import { freePort } from '../support/free-port';

/**
 * What requiring an entry adds to a process (BENCHMARKS.md, figure 10): on top of Nest's own
 * packages, the root entry, the core entry and the testing entry add modules of this package only,
 * and none of its CLI or other wings. etcd3 (which loads @grpc/grpc-js, protobufjs and cockatiel) is
 * required at the first registry or etcd client, not by an entry: an application's unit tests on the
 * in-memory registry never load it. A temporary project holds the build and every installed package.
 */
describe('what an entry loads (child processes, temporary project)', () => {
  let project: string;
  beforeAll(() => {
    project = projectWithBuiltPackage('footprint-', []);
  }, 180_000);
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  /** Runs `source` after requiring `before`; it prints a JSON value, returned parsed. `added(entry)` lists what `entry` adds to require.cache, relative to node_modules. */
  const run = <T>(before: string[], source: string): T => {
    const res = spawnSync(
      process.execPath,
      [
        '-e',
        `for (const m of ${JSON.stringify(before)}) require(m);
         const added = (load) => {
           const seen = new Set(Object.keys(require.cache));
           const loaded = load();
           const files = Object.keys(require.cache).filter((f) => !seen.has(f));
           return { loaded, files: files.map((f) => f.replace(/^.*node_modules[\\\\/]/, '').replace(/\\\\/g, '/')) };
         };
         (async () => { ${source} })().catch((e) => { console.error(e); process.exit(1); });`,
      ],
      { cwd: project, encoding: 'utf8', timeout: 60_000 },
    );
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    return JSON.parse(res.stdout) as T;
  };
  /** The files `entry` adds to require.cache once `before` are loaded. */
  const entryAdds = (before: string[], entry: string): string[] =>
    run<string[]>(before, `console.log(JSON.stringify(added(() => require(${JSON.stringify(entry)})).files));`);

  const NEST = ['reflect-metadata', '@nestjs/common', '@nestjs/core'];
  const WINGS =
    /^nestjs-etcd-registry\/dist\/(cli|grpc|dashboard|prometheus|opentelemetry|axios|microservices|terminus|event-emitter|testing)\//;
  const ETCD_CLIENT = ['etcd3', '@grpc/grpc-js', 'protobufjs', 'cockatiel'];
  /** Which of etcd3 and the packages it loads have a file among `files`. */
  const etcdClientPackages = (files: string[]): string[] => ETCD_CLIENT.filter((p) => files.some((f) => f.startsWith(`${p}/`)));

  it('the root entry, over reflect-metadata, @nestjs/common and @nestjs/core: this package only, no wing, no etcd3', () => {
    const files = entryAdds(NEST, 'nestjs-etcd-registry');
    expect(etcdClientPackages(files)).toEqual([]);
    expect(files.length).toBeGreaterThan(10);
    expect(files.filter((f) => !f.startsWith('nestjs-etcd-registry/dist/'))).toEqual([]);
    expect(files.filter((f) => WINGS.test(f))).toEqual([]);
  });

  it('the core entry, on a bare process: this package only, nothing of its Nest layer, no etcd3', () => {
    const files = entryAdds([], 'nestjs-etcd-registry/core');
    expect(etcdClientPackages(files)).toEqual([]);
    expect(files.filter((f) => !f.startsWith('nestjs-etcd-registry/dist/core/'))).toEqual([]);
  });

  it('the testing entry, over reflect-metadata, @nestjs/common and @nestjs/core: this package only, no etcd3', () => {
    const files = entryAdds(NEST, 'nestjs-etcd-registry/testing');
    expect(etcdClientPackages(files)).toEqual([]);
    expect(files.filter((f) => f.startsWith('nestjs-etcd-registry/dist/testing/')).length).toBeGreaterThan(0);
    expect(files.filter((f) => !f.startsWith('nestjs-etcd-registry/dist/'))).toEqual([]);
  });

  it('creating a registry loads etcd3 and its client packages; the registry is an EtcdRegistry and closes', async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const out = run<{ entry: string[]; created: string[]; isRegistry: boolean }>(
      [],
      `const entry = added(() => require('nestjs-etcd-registry/core'));
       const core = entry.loaded;
       const created = added(() => core.createRegistry({ endpoints: [${JSON.stringify(endpoint)}] }));
       const isRegistry = created.loaded instanceof core.EtcdRegistry;
       await created.loaded.close();
       console.log(JSON.stringify({ entry: entry.files, created: created.files, isRegistry }));`,
    );
    expect(etcdClientPackages(out.entry)).toEqual([]);
    expect(etcdClientPackages(out.created)).toEqual(ETCD_CLIENT);
    expect(out.isRegistry).toBe(true);
  });
});
