/**
 * One start of a minimal Nest HTTP application, in its own process, for the start-up figure
 * (bench/figures/startup.ts). Plain JavaScript on purpose: no TypeScript hook loaded, the package
 * taken from its build (`nestjs-etcd-registry` resolves to dist/ through package.json's exports),
 * so the process pays what an application running compiled code pays.
 *
 * argv[2]: `plain` (the app alone) or `module` (the same app with EtcdRegistryModule.forRoot,
 * registering its instance). Env: ETCD_ENDPOINTS (comma-separated), SERVICE_ID.
 * Run with --expose-gc. Sends one message over IPC: `{ mode, steps }` (milliseconds; RSS and heap
 * used in MB once listening, after a full GC), then exits.
 */
'use strict';

const mode = process.argv[2];
if (mode !== 'plain' && mode !== 'module') throw new Error(`startup-app: mode must be plain or module, got ${mode}`);
const since = (t0) => performance.now() - t0;
const steps = {};

let t = performance.now();
require('reflect-metadata');
const { Controller, Get, Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
require('@nestjs/platform-express');
steps.requireNest = since(t);

/** Times each call of `proto[name]` (async) into `steps[key]`: the first call only. */
function timeMethod(proto, name, key) {
  const original = proto[name];
  proto[name] = async function (...args) {
    const t0 = performance.now();
    try {
      return await original.apply(this, args);
    } finally {
      if (steps[key] === undefined) steps[key] = since(t0);
    }
  };
}

let pkg;
if (mode === 'module') {
  t = performance.now();
  pkg = require('nestjs-etcd-registry');
  steps.requirePackage = since(t);
  // The start-up's own hooks, by absolute path (the same module instances the entry loaded).
  const dist = require('path').dirname(require.resolve('nestjs-etcd-registry'));
  const { RegistryStartup } = require(`${dist}/lifecycle/registry-startup.js`);
  timeMethod(RegistryStartup.prototype, 'onModuleInit', 'startupCheck');
  timeMethod(pkg.RegistryService.prototype, 'registerService', 'registration');
}

class HelloController {
  hello() {
    return 'hello';
  }
}
Controller()(HelloController);
Get('hello')(HelloController.prototype, 'hello', Object.getOwnPropertyDescriptor(HelloController.prototype, 'hello'));

class AppModule {}
const imports =
  mode === 'module'
    ? [
        pkg.EtcdRegistryModule.forRoot({
          endpoints: (process.env.ETCD_ENDPOINTS ?? '').split(','),
          service: { name: 'startup-bench', id: process.env.SERVICE_ID, address: '127.0.0.1:1' },
        }),
      ]
    : [];
Module({ imports, controllers: [HelloController] })(AppModule);

async function main() {
  t = performance.now();
  const app = await NestFactory.create(AppModule, { logger: false });
  steps.create = since(t);
  t = performance.now();
  await app.listen(0, '127.0.0.1');
  steps.listen = since(t);
  steps.sinceProcessStart = performance.now();
  global.gc();
  const memory = process.memoryUsage();
  steps.rssMb = memory.rss / 2 ** 20;
  steps.heapMb = memory.heapUsed / 2 ** 20;
  if (mode === 'module') {
    // The same read as the start-up check, on the now open connection: one warm round trip.
    const registry = app.get(pkg.RegistryService);
    const warm = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await registry.getServices(`/services/startup-bench/${process.env.SERVICE_ID}/`);
      warm.push(since(t0));
    }
    steps.warmRead = warm.sort((a, b) => a - b)[2];
  }
  t = performance.now();
  await app.close();
  steps.close = since(t);
  process.send({ mode, steps }, () => process.exit(0));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
