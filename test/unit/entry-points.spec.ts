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
    expect(main).toContain('registry.service.ts');
    expect(main.filter((f) => f.startsWith('testing/'))).toEqual([]);
    const core = runtimeGraph(join(LIB, 'core', 'index.ts'));
    expect(core.filter((f) => !f.startsWith('core/'))).toEqual([]);
  });

  it('the testing kit loads the Nest face and the core, and @nestjs/testing only for types', () => {
    const kit = runtimeGraph(join(LIB, 'testing', 'index.ts'));
    expect(kit).toEqual(expect.arrayContaining(['registry.service.ts', 'watch-services.explorer.ts', 'core/watch/handler-delivery.ts']));
    for (const file of kit) {
      expect(readFileSync(join(LIB, file), 'utf8')).not.toMatch(/^import (?!type )[^;]*'@nestjs\/testing'/m);
    }
  });
});

describe('optional wings (issue 14)', () => {
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
