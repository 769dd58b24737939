import { execFileSync } from 'child_process';
import { existsSync, readFileSync } from 'fs';
import { dirname, join, relative } from 'path';

const LIB = join(__dirname, '..', '..', 'lib');

/** Every lib file `entry` loads at run time (type-only imports left out), by following relative imports. */
function runtimeGraph(entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    for (const [, typeOnly, spec] of source.matchAll(/^(?:import|export)\s+(type\s+)?[^;]*?from\s+'(\.[^']+)'/gms)) {
      if (typeOnly) continue;
      const base = join(dirname(file), spec);
      const target = [`${base}.ts`, join(base, 'index.ts')].find(existsSync);
      if (target) visit(target);
    }
  };
  visit(entry);
  return [...seen].map((f) => relative(LIB, f));
}

describe('entry points', () => {
  it('the main entry never loads the testing kit, and the core never loads the Nest face', () => {
    const main = runtimeGraph(join(LIB, 'index.ts'));
    expect(main).toContain('service/registry.service.ts');
    expect(main.filter((f) => f.startsWith('testing/'))).toEqual([]);
    const core = runtimeGraph(join(LIB, 'core', 'index.ts'));
    expect(core.filter((f) => !f.startsWith('core/'))).toEqual([]);
  });

  it('the testing kit loads the Nest face and the core, and @nestjs/testing only for types', () => {
    const kit = runtimeGraph(join(LIB, 'testing', 'index.ts'));
    expect(kit).toEqual(
      expect.arrayContaining([
        'service/registry.service.ts',
        'watch-services/watch-services.explorer.ts',
        'core/watch/handler-delivery.ts',
      ]),
    );
    for (const file of kit) {
      expect(readFileSync(join(LIB, file), 'utf8')).not.toMatch(/^import (?!type )[^;]*'@nestjs\/testing'/m);
    }
  });

  it('the main entry never loads an optional peer or a client wing; each wing loads its peer, the face and the core, never the other wing', () => {
    // (@grpc/grpc-js is a dependency of the core, through etcd3 and our own interceptors: not optional.)
    const OPTIONAL_PEERS = /^import (?!type )[^;]*'(@nestjs\/axios|axios|@nestjs\/microservices)'/m;
    const main = runtimeGraph(join(LIB, 'index.ts'));
    expect(main.filter((f) => f.startsWith('axios/') || f.startsWith('microservices/') || f.startsWith('grpc/'))).toEqual([]);
    for (const file of main) expect(readFileSync(join(LIB, file), 'utf8')).not.toMatch(OPTIONAL_PEERS);
    const axios = runtimeGraph(join(LIB, 'axios', 'index.ts'));
    expect(axios).toEqual(expect.arrayContaining(['service/registry.service.ts', 'core/balancing/load-balancer.ts']));
    expect(axios.filter((f) => f.startsWith('microservices/'))).toEqual([]);
    const microservices = runtimeGraph(join(LIB, 'microservices', 'index.ts'));
    expect(microservices).toEqual(expect.arrayContaining(['service/registry.service.ts', 'core/balancing/load-balancer.ts']));
    expect(microservices.filter((f) => f.startsWith('axios/'))).toEqual([]);
    const grpc = runtimeGraph(join(LIB, 'grpc', 'index.ts'));
    expect(grpc).toEqual(expect.arrayContaining(['service/registry.service.ts', 'core/instances/watch-instances.ts']));
    expect(grpc.filter((f) => f.startsWith('axios/') || f.startsWith('microservices/'))).toEqual([]);
    // Nest's gRPC clients are the user's: the wing registers a grpc-js resolver and never loads @nestjs/microservices.
    for (const file of grpc) expect(readFileSync(join(LIB, file), 'utf8')).not.toMatch(OPTIONAL_PEERS);
  });
});

describe('entry points of the CLI and the registry page', () => {
  it('the main entry loads neither the CLI nor the page', () => {
    const main = runtimeGraph(join(LIB, 'index.ts'));
    expect(main.filter((f) => f.startsWith('cli/') || f.startsWith('dashboard/'))).toEqual([]);
  });

  it('the CLI uses the core only (no Nest), and its bin file starts with a shebang', () => {
    const cli = runtimeGraph(join(LIB, 'cli', 'main.ts'));
    expect(cli.filter((f) => !f.startsWith('cli/') && !f.startsWith('core/'))).toEqual([]);
    for (const file of cli) expect(readFileSync(join(LIB, file), 'utf8')).not.toMatch(/from '@nestjs\//);
    expect(readFileSync(join(LIB, 'cli', 'main.ts'), 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    const pkg = JSON.parse(readFileSync(join(LIB, '..', 'package.json'), 'utf8'));
    expect(pkg.bin).toEqual({ 'nestjs-etcd-registry': 'dist/cli/main.js' });
  });

  it('the page loads the Nest face and the core, and nothing of the testing kit', () => {
    const page = runtimeGraph(join(LIB, 'dashboard', 'index.ts'));
    expect(page).toContain('service/registry.service.ts');
    expect(page.filter((f) => f.startsWith('testing/') || f.startsWith('cli/'))).toEqual([]);
  });
});

describe('optional wings: each entry loads its own peers only', () => {
  const PEERS = ['@nestjs/terminus', 'prom-client', '@opentelemetry/api', '@nestjs/event-emitter'];
  const loadsPeer = (file: string) => {
    const source = readFileSync(join(LIB, file), 'utf8');
    return PEERS.filter((peer) => new RegExp(`^(?:import|export) (?!type )[^;]*from '${peer.replace('/', '\\/')}'`, 'm').test(source));
  };

  it('the main entry never loads an optional peer (terminus, prom-client, OpenTelemetry, event-emitter) nor a wing', () => {
    const main = runtimeGraph(join(LIB, 'index.ts'));
    expect(main.filter((f) => /^(terminus|prometheus|opentelemetry|event-emitter)\//.test(f))).toEqual([]);
    expect(main.flatMap(loadsPeer)).toEqual([]);
  });

  it.each([
    ['terminus', '@nestjs/terminus'],
    ['prometheus', 'prom-client'],
    ['opentelemetry', '@opentelemetry/api'],
    ['event-emitter', '@nestjs/event-emitter'],
  ])('the %s wing loads %s and no other optional peer', (wing, peer) => {
    const graph = runtimeGraph(join(LIB, wing, 'index.ts'));
    expect([...new Set(graph.flatMap(loadsPeer))]).toEqual([peer]);
  });
});

describe('the real-etcd fault kit (nestjs-etcd-registry/testing/etcd)', () => {
  const NODE_BUILTIN = /^(node:)?(child_process|fs|http|https|net|os|path|crypto|events|util|timers|url)$/;

  it('loads only its own files, etcd3 and Node built-ins: no Nest, no registry core', () => {
    const kit = runtimeGraph(join(LIB, 'testing', 'etcd', 'index.ts'));
    expect(kit).toEqual(expect.arrayContaining(['testing/etcd/etcd-test-server.ts', 'testing/etcd/fault-proxy.ts']));
    expect(kit.filter((f) => !f.startsWith('testing/etcd/'))).toEqual([]);
    const packages = kit.flatMap((file) =>
      [...readFileSync(join(LIB, file), 'utf8').matchAll(/^(?:import|export)\s+(type\s+)?[^;]*?from\s+'([^.][^']*)'/gms)]
        .filter(([, typeOnly]) => !typeOnly)
        .map(([, , spec]) => spec),
    );
    expect([...new Set(packages.filter((p) => !NODE_BUILTIN.test(p)))]).toEqual(['etcd3']);
  });

  it('at run time, requiring it loads no module of Nest, rxjs or reflect-metadata, and no lib file outside the kit', () => {
    const script = `
      const before = new Set(Object.keys(require.cache));
      require(${JSON.stringify(join(LIB, 'testing', 'etcd', 'index.ts'))});
      console.log(JSON.stringify(Object.keys(require.cache).filter((k) => !before.has(k))));
    `;
    const out = execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], {
      cwd: join(LIB, '..'),
      encoding: 'utf8',
    });
    const loaded = (JSON.parse(out) as string[]).map((f) => relative(join(LIB, '..'), f));
    expect(loaded).toEqual(
      expect.arrayContaining(['lib/testing/etcd/etcd-test-server.ts', expect.stringMatching(/^node_modules\/etcd3\//)]),
    );
    expect(loaded.filter((f) => f.startsWith('lib/') && !f.startsWith('lib/testing/etcd/'))).toEqual([]);
    expect(loaded.filter((f) => /node_modules\/(@nestjs|rxjs|reflect-metadata)\//.test(f))).toEqual([]);
  });
});
