/**
 * What an entry point costs the process that requires it, in a fresh process, for the start-up
 * figure (bench/figures/startup.ts). Plain JavaScript and the package's build (dist/, through
 * package.json's exports), run with --expose-gc.
 *
 * argv[2], the case:
 * - `root`: reflect-metadata, @nestjs/common and @nestjs/core (the application's own baseline),
 *   then `nestjs-etcd-registry`;
 * - `core`: a bare process, then `nestjs-etcd-registry/core`;
 * - `etcd3`: a bare process, then `etcd3` alone (loaded at the first etcd client or registry, not by
 *   an entry: the cost a process pays once it creates one).
 * Measured around the last require: wall time, modules added to require.cache, RSS and heap used
 * (each after a full GC), and which packages the added modules belong to.
 * Sends one message over IPC: `{ kind, loadMs, modules, rssMb, heapMb, packages }`, then exits.
 */
'use strict';

const kind = process.argv[2];
const target = { root: 'nestjs-etcd-registry', core: 'nestjs-etcd-registry/core', etcd3: 'etcd3' }[kind];
if (!target) throw new Error(`startup-load: the case must be root, core or etcd3, got ${kind}`);

/** RSS and heap used after a full GC, in MB. */
function memory() {
  global.gc();
  global.gc();
  const m = process.memoryUsage();
  return { rss: m.rss / 2 ** 20, heap: m.heapUsed / 2 ** 20 };
}

if (kind === 'root') {
  require('reflect-metadata');
  require('@nestjs/common');
  require('@nestjs/core');
}
const before = new Set(Object.keys(require.cache));
const m0 = memory();
const t0 = performance.now();
require(target);
const loadMs = performance.now() - t0;
const m1 = memory();
const added = Object.keys(require.cache).filter((f) => !before.has(f));
const packages = {};
for (const file of added) {
  const m = /node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)[\\/]/.exec(file);
  const name = m ? m[1].replace('\\', '/') : 'nestjs-etcd-registry';
  packages[name] = (packages[name] ?? 0) + 1;
}
process.send({ kind, loadMs, modules: added.length, rssMb: m1.rss - m0.rss, heapMb: m1.heap - m0.heap, baseRssMb: m0.rss, packages }, () =>
  process.exit(0),
);
