import { filesFor, installArgs, isE2eTestFile, isTestFile, readmeFiles, withRelativeImports } from '../compat/readme-examples';
import { docFiles } from '../support/doc-files';

const fence = '```';

describe('README examples for the compatibility matrix', () => {
  const sample = [
    '# Title',
    `${fence}ts`,
    '// file: src/a.ts',
    'export const a = 1;',
    fence,
    `${fence}ts`,
    'const illustrative = true;',
    fence,
    `${fence}ts`,
    '// file: src/a.spec.ts',
    '// module: cjs',
    "it('runs', () => undefined);",
    fence,
    `${fence}ts`,
    '// file: src/a.spec.ts',
    '// module: esm',
    "test('runs', () => undefined);",
    fence,
    `${fence}ts`,
    '// file: src/b.ts',
    '// nest: 12',
    '// module: cjs',
    'export const b = 2;',
    fence,
    `${fence}bash`,
    'npm install nestjs-etcd-registry @nestjs/config@^4    # Nest 11',
    'npm install nestjs-etcd-registry @nestjs/config@^12   # Nest 12',
    fence,
  ].join('\n');

  it('takes the blocks whose first line is "// file:", verbatim, and leaves the others out', () => {
    const files = readmeFiles(sample);
    expect(files.map((f) => [f.path, f.nest, f.module, f.line])).toEqual([
      ['src/a.ts', undefined, undefined, 3],
      ['src/a.spec.ts', undefined, 'cjs', 10],
      ['src/a.spec.ts', undefined, 'esm', 15],
      ['src/b.ts', 12, 'cjs', 20],
    ]);
    expect(files[0].content).toBe('// file: src/a.ts\nexport const a = 1;\n');
  });

  it('restricts a block to the applications whose module kind and Nest major match its markers', () => {
    const files = readmeFiles(sample);
    const paths = (major: number, module: 'esm' | 'cjs') =>
      filesFor(files, { major, module }).map((f) => f.content.split('\n').slice(-2)[0]);
    expect(paths(11, 'cjs')).toEqual(['export const a = 1;', "it('runs', () => undefined);"]);
    expect(paths(12, 'cjs')).toEqual(['export const a = 1;', "it('runs', () => undefined);", 'export const b = 2;']);
    expect(paths(12, 'esm')).toEqual(['export const a = 1;', "test('runs', () => undefined);"]);
    expect(paths(11, 'esm')).toEqual(['export const a = 1;', "test('runs', () => undefined);"]);
    expect(isTestFile('src/a.spec.ts')).toBe(true);
    expect(isTestFile('src/a.ts')).toBe(false);
    expect(isE2eTestFile('test/app.e2e-spec.ts')).toBe(true);
    expect(isTestFile('test/app.e2e-spec.ts')).toBe(false);
  });

  it('follows relative imports (with or without .js) from an entry, among the blocks of one kind of application', () => {
    const md = [
      `${fence}ts`,
      '// file: test/app.e2e-spec.ts',
      "import { AppModule } from '../src/app.module.js';",
      fence,
      `${fence}ts`,
      '// file: src/app.module.ts',
      "import { Pool } from './pool';",
      fence,
      `${fence}ts`,
      '// file: src/pool.ts',
      fence,
      `${fence}ts`,
      '// file: src/unrelated.ts',
      fence,
    ].join('\n');
    expect(withRelativeImports(readmeFiles(md), 'test/app.e2e-spec.ts').map((f) => f.path)).toEqual([
      'test/app.e2e-spec.ts',
      'src/app.module.ts',
      'src/pool.ts',
    ]);
    expect(() => withRelativeImports(readmeFiles(md), 'src/missing.ts')).toThrow(/no "\/\/ file: src\/missing\.ts" block/);
    expect(() => withRelativeImports(readmeFiles(sample), 'src/a.spec.ts')).toThrow(/pick the blocks of one kind/);
  });

  it('refuses two blocks writing the same file for one major, a non-ts file block, and an unclosed block', () => {
    const twice = `${fence}ts\n// file: src/x.ts\n${fence}\n${fence}ts\n// file: src/x.ts\n// nest: 12\n${fence}\n`;
    expect(() => readmeFiles(twice)).toThrow(/lines 2 and 5: two blocks write src\/x\.ts for the same kind of application/);
    const esmAndNest12 = `${fence}ts\n// file: src/x.ts\n// module: esm\n${fence}\n${fence}ts\n// file: src/x.ts\n// nest: 12\n${fence}\n`;
    expect(() => readmeFiles(esmAndNest12)).toThrow(/two blocks write src\/x\.ts/);
    const esmAndCjs = `${fence}ts\n// file: src/x.ts\n// module: esm\n${fence}\n${fence}ts\n// file: src/x.ts\n// module: cjs\n${fence}\n`;
    expect(readmeFiles(esmAndCjs)).toHaveLength(2);
    expect(() => readmeFiles(`${fence}ts\n// file: src/x.ts\n// module: commonjs\n${fence}\n`)).toThrow(
      /line 3: "\/\/ module: commonjs" is not a marker/,
    );
    expect(() => readmeFiles(`${fence}ts\n// file: src/x.ts\n// nest: 11\n// nest: 12\n${fence}\n`)).toThrow(/line 4: .* repeats a marker/);
    expect(() => readmeFiles(`${fence}js\n// file: src/x.js\n${fence}\n`)).toThrow(/must be a ```ts block/);
    expect(() => readmeFiles(`${fence}ts\n// file: src/x.ts\n`)).toThrow(/never closed/);
  });

  it('reads several pages as one set of blocks: found by their markers on any page, clashing across pages, errors naming the page', () => {
    const readme = { name: 'README.md', text: `# T\n${fence}ts\n// file: src/a.ts\nexport const a = 1;\n${fence}\n` };
    const page = { name: 'docs/testing.md', text: `${fence}ts\n// file: src/b.ts\n// module: esm\n${fence}\n` };
    expect(readmeFiles([readme, page]).map((f) => `${f.doc}:${f.line}:${f.path}`)).toEqual([
      'README.md:3:src/a.ts',
      'docs/testing.md:2:src/b.ts',
    ]);
    const clash = { name: 'docs/nest.md', text: `${fence}ts\n// file: src/a.ts\n${fence}\n` };
    expect(() => readmeFiles([readme, clash])).toThrow(/README\.md line 3 and docs\/nest\.md line 2: two blocks write src\/a\.ts/);
    expect(() =>
      readmeFiles([readme, { name: 'docs/x.md', text: `${fence}ts\n// file: src/x.ts\n// module: commonjs\n${fence}\n` }]),
    ).toThrow(/^docs\/x\.md line 3: /);
    expect(() => readmeFiles([{ name: 'docs/y.md', text: `${fence}ts\n` }])).toThrow(/^docs\/y\.md: the code block opened at line 1/);
    const install = { name: 'docs/z.md', text: `${fence}bash\nnpm install nestjs-etcd-registry x@^1   # Nest 11\n${fence}\n` };
    expect(installArgs([readme, install], 11)).toEqual(['nestjs-etcd-registry', 'x@^1']);
    expect(() => installArgs([{ name: 'README.md', text: sample }, install], 11)).toThrow(/found 2/);
  });

  it("reads each major's install command, and wants exactly one", () => {
    expect(installArgs(sample, 11)).toEqual(['nestjs-etcd-registry', '@nestjs/config@^4']);
    expect(installArgs(sample, 12)).toEqual(['nestjs-etcd-registry', '@nestjs/config@^12']);
    expect(() => installArgs(sample, 13)).toThrow(/found 0/);
  });

  it('finds in the real README and docs/ pages the application files and an install command per major', () => {
    const readme = docFiles();
    const files = readmeFiles(readme);
    for (const app of [
      { major: 11, module: 'cjs' },
      { major: 12, module: 'cjs' },
      { major: 12, module: 'esm' },
    ] as const) {
      const paths = filesFor(files, app).map((f) => f.path);
      expect(paths).toEqual(
        expect.arrayContaining([
          'src/app.module.ts',
          'src/main.ts',
          'src/user-service.pool.ts',
          'src/users.watcher.spec.ts',
          'test/app.e2e-spec.ts',
        ]),
      );
    }
    expect(installArgs(readme, 11)).toEqual(['nestjs-etcd-registry', '@nestjs/config@^4']);
    expect(installArgs(readme, 12)).toEqual(['nestjs-etcd-registry', '@nestjs/config@^12']);
  });

  it("has one AppModule per kind of application, the quick start's, which the e2e tests import", () => {
    const readme = docFiles();
    for (const app of [
      { major: 11, module: 'cjs' },
      { major: 12, module: 'cjs' },
      { major: 12, module: 'esm' },
    ] as const) {
      const files = filesFor(readmeFiles(readme), app);
      const e2e = files.find((f) => f.path === 'test/app.e2e-spec.ts');
      expect(e2e?.content).toMatch(/^import \{ AppModule \} from '\.\/\.\.\/src\/app\.module(\.js)?';$/m);
      const appModule = files.find((f) => f.path === 'src/app.module.ts');
      expect(appModule?.content).toContain('EtcdRegistryModule.forRootAsync');
      expect(appModule?.content).toContain("config.getOrThrow<string>('ETCD_ENDPOINTS')");
    }
  });

  it('writes relative imports with .js in ES module blocks and without in CommonJS ones (jest there cannot resolve them)', () => {
    const readme = docFiles();
    const relative = (f: { content: string }) => [...f.content.matchAll(/from '(\.{1,2}\/[^']+)'/g)].map((m) => m[1]);
    const files = readmeFiles(readme);
    const esm = filesFor(files, { major: 12, module: 'esm' }).flatMap(relative);
    const cjs = filesFor(files, { major: 11, module: 'cjs' }).flatMap(relative);
    expect(esm.length).toBeGreaterThan(0);
    expect(cjs.length).toBeGreaterThan(0);
    expect(esm.filter((p) => !p.endsWith('.js'))).toEqual([]);
    expect(cjs.filter((p) => p.endsWith('.js'))).toEqual([]);
  });

  it("uses 'import type' for the package's types in the README's decorated signatures (TS1272 otherwise)", () => {
    const readme = docFiles();
    for (const f of readmeFiles(readme)) {
      expect(f.content).not.toMatch(/^import \{[^}]*\bServiceMap\b[^}]*\} from 'nestjs-etcd-registry'/m);
    }
  });
});
