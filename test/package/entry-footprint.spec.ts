import { spawnSync } from 'child_process';
import { rmSync } from 'fs';
import { projectWithBuiltPackage } from '../support/built-package';

/**
 * What requiring an entry adds to a process beyond what it cannot do without (BENCHMARKS.md,
 * figure 10): on top of Nest's own packages and etcd3 (which loads @grpc/grpc-js and protobufjs),
 * the root entry and the core entry add modules of this package only, and none of its CLI, wings
 * or testing kit. A temporary project holds the build and every installed package.
 */
describe('what an entry loads (child processes, temporary project)', () => {
  let project: string;
  beforeAll(() => {
    project = projectWithBuiltPackage('footprint-', []);
  }, 180_000);
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  /** The files `entry` adds to require.cache once `before` are loaded, relative to node_modules. */
  const added = (before: string[], entry: string): string[] => {
    const res = spawnSync(
      process.execPath,
      [
        '-e',
        `for (const m of ${JSON.stringify(before)}) require(m);
         const seen = new Set(Object.keys(require.cache));
         require(${JSON.stringify(entry)});
         const files = Object.keys(require.cache).filter((f) => !seen.has(f));
         console.log(JSON.stringify(files.map((f) => f.replace(/^.*node_modules[\\\\/]/, '').replace(/\\\\/g, '/'))));`,
      ],
      { cwd: project, encoding: 'utf8', timeout: 60_000 },
    );
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    return JSON.parse(res.stdout) as string[];
  };
  const WINGS =
    /^nestjs-etcd-registry\/dist\/(cli|grpc|dashboard|prometheus|opentelemetry|axios|microservices|terminus|event-emitter|testing)\//;

  it('the root entry, over reflect-metadata, @nestjs/common, @nestjs/core and etcd3: this package only, no wing', () => {
    const files = added(['reflect-metadata', '@nestjs/common', '@nestjs/core', 'etcd3'], 'nestjs-etcd-registry');
    expect(files.length).toBeGreaterThan(10);
    expect(files.filter((f) => !f.startsWith('nestjs-etcd-registry/dist/'))).toEqual([]);
    expect(files.filter((f) => WINGS.test(f))).toEqual([]);
  });

  it('the core entry, over etcd3 on a bare process: this package only, nothing of its Nest layer', () => {
    const files = added(['etcd3'], 'nestjs-etcd-registry/core');
    expect(files.filter((f) => !f.startsWith('nestjs-etcd-registry/dist/core/'))).toEqual([]);
  });
});
