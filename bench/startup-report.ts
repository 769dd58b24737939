import type { StartupResult } from './figures/startup';
import { fmt, fmtRatio } from './stats';

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** The packages of 5 modules or more by name, the others counted together. */
function packagesText(p: Record<string, number>): string {
  const sorted = Object.entries(p).sort((a, b) => b[1] - a[1]);
  const named = sorted.filter(([, n]) => n >= 5).map(([name, n]) => `${name} ${n}`);
  const others = sorted.filter(([, n]) => n < 5);
  const rest = others.reduce((sum, [, n]) => sum + n, 0);
  return [...named, ...(others.length ? [`${rest} in ${others.length} other packages`] : [])].join(', ');
}

/** Figure 10: app.listen() with and without the module, and what each entry adds to a process. */
export function startupSection(s: StartupResult): string {
  const b = s.breakdown;
  const extra = s.listenExtraMs;
  const listen = table(
    ['', 'without the module', 'with EtcdRegistryModule.forRoot', 'difference'],
    [
      [
        '`app.listen(0)`, ms',
        fmt(s.listenPlainMs, 1),
        fmt(s.listenModuleMs, 1),
        `+${fmt(extra, 1)} (${fmtRatio(s.listenModuleMs / s.listenPlainMs)}; the difference is the median of per-round differences)`,
      ],
      ['`NestFactory.create`, ms', fmt(s.createPlainMs, 1), fmt(s.createModuleMs, 1), `+${fmt(s.createModuleMs - s.createPlainMs, 1)}`],
      ['`require` of the package, ms', '', fmt(b.requirePackageMs, 1), `+${fmt(b.requirePackageMs, 1)}`],
      ['process start to listening, ms', fmt(s.readyPlainMs, 1), fmt(s.readyModuleMs, 1), `+${fmt(s.readyModuleMs - s.readyPlainMs, 1)}`],
      ['RSS once listening, after GC, MB', fmt(s.rssPlainMb, 1), fmt(s.rssModuleMb, 1), `+${fmt(s.rssModuleMb - s.rssPlainMb, 1)}`],
      [
        'heap used once listening, after GC, MB',
        fmt(s.heapPlainMb, 1),
        fmt(s.heapModuleMb, 1),
        `+${fmt(s.heapModuleMb - s.heapPlainMb, 1)}`,
      ],
      ['`app.close()`, ms', fmt(b.closePlainMs, 1), fmt(b.closeModuleMs, 1), `+${fmt(b.closeModuleMs - b.closePlainMs, 1)}`],
    ],
  );
  const parts = table(
    ['inside `app.listen(0)` with the module', 'ms (median)'],
    [
      ['start-up check (`onModuleInit`): first connect to etcd and one read', fmt(b.startupCheckMs, 1)],
      ['- of which the first connect (the check minus the same read once connected)', fmt(b.startupCheckMs - b.warmReadMs, 1)],
      ['- of which the read (the same read once connected, median of 5)', fmt(b.warmReadMs, 1)],
      ['registration once the port is bound (lease grant, guarded put, keep-alive started)', fmt(b.registrationMs, 1)],
      [
        'the rest (discovery of handlers, the other hooks, the wait for the last bootstrap hook): per round, the difference less the two above',
        fmt(b.restMs, 1),
      ],
    ],
  );
  const entries = table(
    ['entry', 'on top of', 'require, ms', 'modules added', 'RSS added, MB', 'heap used added, MB', 'modules by package'],
    (['root', 'core', 'etcd3'] as const).map((kind) => {
      const e = s.entries[kind];
      return [
        { root: '`nestjs-etcd-registry`', core: '`nestjs-etcd-registry/core`', etcd3: '`etcd3` alone (reference)' }[kind],
        kind === 'root' ? 'reflect-metadata, @nestjs/common, @nestjs/core' : 'a bare node',
        fmt(e.loadMs, 1),
        fmt(e.modules, 0),
        fmt(e.rssMb, 1),
        fmt(e.heapMb, 1),
        packagesText(e.packages),
      ];
    }),
  );
  return `## 10. What an application feels: start-up and memory

(a) A minimal Nest HTTP application (one controller, \`@nestjs/platform-express\`) with \`EtcdRegistryModule.forRoot\` registering its instance, against the same application without the module, each start in a fresh process (\`bench/startup-app.js\`, plain JavaScript loading the package's build in \`dist/\`), the two in a seeded random order in each of ${s.rounds} rounds, against one fresh local etcd; medians over rounds. The parts of the difference are timed inside the process around the registry's own start-up hook and registration.

${listen}

${parts}

(b) What requiring an entry adds to a fresh process (\`bench/startup-load.js\`, \`--expose-gc\`): wall time of the \`require\`, modules added to \`require.cache\`, RSS and heap used after a full GC, each against the same process just before; medians over ${s.rounds} rounds, the cases interleaved. No entry requires \`etcd3\`: it is loaded at the first etcd client or registry a process creates (its client loads grpc-js, protobufjs and compiles etcd's \`.proto\` when required); \`etcd3\` alone shows that deferred cost, which an application pays inside \`NestFactory.create\` (where the module creates its client).

${entries}
`;
}
