import { readFileSync } from 'fs';
import { join } from 'path';
import { filesFor, installArgs, isTestFile, readmeFiles } from '../compat/readme-examples';
import { renderTemplate } from '../compat/scaffold';

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
    '// nest: 11',
    "it('runs', () => undefined);",
    fence,
    `${fence}ts`,
    '// file: src/a.spec.ts',
    '// nest: 12',
    "test('runs', () => undefined);",
    fence,
    `${fence}bash`,
    'npm install nestjs-etcd-registry @nestjs/config@^4    # Nest 11',
    'npm install nestjs-etcd-registry @nestjs/config@^12   # Nest 12',
    fence,
  ].join('\n');

  it('takes the blocks whose first line is "// file:", verbatim, and leaves the others out', () => {
    const files = readmeFiles(sample);
    expect(files.map((f) => [f.path, f.nest, f.line])).toEqual([
      ['src/a.ts', undefined, 3],
      ['src/a.spec.ts', 11, 10],
      ['src/a.spec.ts', 12, 15],
    ]);
    expect(files[0].content).toBe('// file: src/a.ts\nexport const a = 1;\n');
  });

  it('restricts a block with "// nest: N" to that major', () => {
    const files = readmeFiles(sample);
    expect(filesFor(files, 11).map((f) => f.content)).toEqual([expect.stringContaining('a = 1'), expect.stringContaining("it('runs'")]);
    expect(filesFor(files, 12).map((f) => f.content)).toEqual([expect.stringContaining('a = 1'), expect.stringContaining("test('runs'")]);
    expect(isTestFile('src/a.spec.ts')).toBe(true);
    expect(isTestFile('src/a.ts')).toBe(false);
  });

  it('refuses two blocks writing the same file for one major, a non-ts file block, and an unclosed block', () => {
    const twice = `${fence}ts\n// file: src/x.ts\n${fence}\n${fence}ts\n// file: src/x.ts\n// nest: 12\n${fence}\n`;
    expect(() => readmeFiles(twice)).toThrow(/lines 2 and 5: two blocks write src\/x\.ts/);
    expect(() => readmeFiles(`${fence}js\n// file: src/x.js\n${fence}\n`)).toThrow(/must be a ```ts block/);
    expect(() => readmeFiles(`${fence}ts\n// file: src/x.ts\n`)).toThrow(/never closed/);
  });

  it("reads each major's install command, and wants exactly one", () => {
    expect(installArgs(sample, 11)).toEqual(['nestjs-etcd-registry', '@nestjs/config@^4']);
    expect(installArgs(sample, 12)).toEqual(['nestjs-etcd-registry', '@nestjs/config@^12']);
    expect(() => installArgs(sample, 13)).toThrow(/found 0/);
  });

  it('finds in the real README the application files and an install command per major', () => {
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    const paths = readmeFiles(readme).map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['src/app.module.ts', 'src/main.ts', 'src/user-service.pool.ts']));
    expect(installArgs(readme, 11)).toEqual(['nestjs-etcd-registry', '@nestjs/config@^4']);
    expect(installArgs(readme, 12)).toEqual(['nestjs-etcd-registry', '@nestjs/config@^12']);
  });

  it("uses 'import type' for the package's types in the README's decorated signatures (TS1272 otherwise)", () => {
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    for (const f of readmeFiles(readme)) {
      expect(f.content).not.toMatch(/^import \{[^}]*\bServiceMap\b[^}]*\} from 'nestjs-etcd-registry'/m);
    }
  });
});

describe("the schematics' template language", () => {
  it('prints <%= %> and runs <% %> as @nestjs/schematics templates use them', () => {
    const text = '"name": "<%= name %>",\n<% if (observe) { %>  "observe": 1,\n<% } %>  "strict": <%= strict %>';
    expect(renderTemplate(text, { name: 'app', observe: false, strict: true })).toBe('"name": "app",\n  "strict": true');
    expect(renderTemplate(text, { name: 'app', observe: true, strict: false })).toBe('"name": "app",\n  "observe": 1,\n  "strict": false');
  });
});
