import { spawnSync } from 'child_process';
import { rmSync } from 'fs';
import { projectWithBuiltPackage } from '../support/built-package';
import { EtcdServer, startEtcd } from '../support/etcd-launcher';

/**
 * `nestjs-etcd-registry/core` is the framework-free registry: in a project without any @nestjs/*
 * package (nor rxjs or reflect-metadata), require and import load it, and a register / watch round
 * trip against a real etcd works, with no module of Nest ever loaded.
 */
describe('the core entry without Nest (child processes, temporary project, real etcd)', () => {
  let project: string;
  let etcd: EtcdServer;
  beforeAll(async () => {
    project = projectWithBuiltPackage('core-only-', ['@nestjs/*', 'rxjs', 'reflect-metadata']);
    etcd = await startEtcd();
  }, 180_000);
  afterAll(async () => {
    await etcd?.stop();
    if (project) rmSync(project, { recursive: true, force: true });
  });

  const node = (args: string[], source: string) =>
    spawnSync(process.execPath, [...args, '-e', source], { cwd: project, encoding: 'utf8', timeout: 60_000 });

  /** register, then watch the prefix until the map holds the key (10 s deadline), close; prints what was loaded. */
  const roundTrip = (load: string, prefix: string) => `
    ${load}
    const absent = (() => { try { req.resolve('@nestjs/common'); return false; } catch { return true; } })();
    const registry = core.createRegistry({ endpoints: ${JSON.stringify(etcd.endpoints)} });
    await registry.register('${prefix}user-service/1', '127.0.0.1:3000');
    let map = {};
    await registry.addWatch('${prefix}', (m) => { map = m; });
    const deadline = Date.now() + 10_000;
    while (!map['${prefix}user-service/1'] && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await registry.close();
    const loaded = Object.keys(req.cache).filter((f) => /node_modules[\\\\/](@nestjs|rxjs|reflect-metadata)[\\\\/]/.test(f));
    let root = 'loaded';
    try { req('nestjs-etcd-registry'); } catch (e) { root = e.code; }
    console.log(JSON.stringify({ absent, map, loaded, root, names: Object.keys(core).length }));
  `;

  const expectRoundTrip = (res: ReturnType<typeof node>, prefix: string) => {
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    const out = JSON.parse(res.stdout) as { absent: boolean; map: Record<string, string>; loaded: string[]; root: string; names: number };
    // The project really has no Nest: the root entry, which needs it, cannot load there.
    expect(out.absent).toBe(true);
    expect(out.root).toBe('MODULE_NOT_FOUND');
    expect(out.map).toEqual({ [`${prefix}user-service/1`]: '127.0.0.1:3000' });
    expect(out.loaded).toEqual([]);
    expect(out.names).toBeGreaterThan(50);
  };

  it('CommonJS: require, register, watch, close; no @nestjs module loaded', () => {
    const prefix = `/core-cjs-${process.pid}/`;
    const res = node(
      [],
      `(async () => { ${roundTrip("const req = require; const core = require('nestjs-etcd-registry/core');", prefix)} })().catch((e) => { console.error(e); process.exit(1); });`,
    );
    expectRoundTrip(res, prefix);
  });

  it('ESM: import, register, watch, close; no @nestjs module loaded', () => {
    const prefix = `/core-esm-${process.pid}/`;
    const res = node(
      ['--input-type=module'],
      roundTrip(
        "import { createRequire } from 'node:module'; const req = createRequire(import.meta.url); const core = await import('nestjs-etcd-registry/core');",
        prefix,
      ),
    );
    expectRoundTrip(res, prefix);
  });
});
