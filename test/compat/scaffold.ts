import { execFileSync } from 'child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'fs';
import { dirname, join, relative } from 'path';
import type { ModuleKind } from './readme-examples';

/**
 * A Nest application as `nest new` writes it, rendered from the real templates of
 * `@nestjs/schematics` of that major (fetched with `npm pack`), without installing anything.
 */
export interface ScaffoldSpec {
  /** e.g. `nest11-cjs`. */
  id: string;
  major: 11 | 12;
  /** Template folder in @nestjs/schematics: `ts` (CommonJS, jest) or `ts-esm` (ESM, vitest, Nest 12). */
  template: 'ts' | 'ts-esm';
  /** `nest new`'s default for --strict in that major's CLI (false in 11, true in 12). */
  strict: boolean;
  /** The application's module kind (which README blocks it gets: `// module: esm|cjs`). */
  module: ModuleKind;
  /** Oldest Node on which the scaffold's own test runner works, when it has one (checked by the matrix). */
  testNodeFloor?: string;
  testNodeFloorReason?: string;
}

export const SCAFFOLDS: ScaffoldSpec[] = [
  { id: 'nest11-cjs', major: 11, template: 'ts', module: 'cjs', strict: false },
  { id: 'nest12-esm', major: 12, template: 'ts-esm', module: 'esm', strict: true },
  {
    id: 'nest12-cjs',
    major: 12,
    template: 'ts',
    module: 'cjs',
    strict: true,
    // Its jest loads the ESM-only @nestjs/testing 12 through require(esm), which jest supports from Node
    // 24.9; below that the scaffold's own app.controller.spec fails, with or without this package. Its
    // unit and e2e tests (the README's included) run on Node 24.
    testNodeFloor: '24.9.0',
    testNodeFloorReason: "jest in Nest 12's CommonJS scaffold needs Node 24.9+ (require of the ESM-only @nestjs/testing)",
  },
];

/**
 * The schematics' template language (Angular devkit's `template()`): `<%= expr %>` prints, `<% code %>`
 * runs. The application templates use only these two, with plain variables.
 */
export function renderTemplate(text: string, data: Record<string, unknown>): string {
  let body = '';
  let last = 0;
  for (const m of text.matchAll(/<%(=?)([\s\S]*?)%>/g)) {
    body += `__out += ${JSON.stringify(text.slice(last, m.index))};\n`;
    body += m[1] === '=' ? `__out += String(${m[2]});\n` : `${m[2]}\n`;
    last = m.index + m[0].length;
  }
  body += `__out += ${JSON.stringify(text.slice(last))};\n`;
  const names = Object.keys(data);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the template is the schematics' own code
  const fn = new Function(...names, `let __out = '';\n${body}return __out;`) as (...args: unknown[]) => string;
  return fn(...names.map((n) => data[n]));
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

/** Fetches @nestjs/schematics@<major> into `cacheDir` (once) and returns its application template folder. */
export function fetchTemplates(major: number, template: string, cacheDir: string): { dir: string; version: string } {
  const root = join(cacheDir, `schematics-${major}`);
  if (!existsSync(join(root, 'package', 'package.json'))) {
    mkdirSync(root, { recursive: true });
    const tgz = execFileSync('npm', ['pack', `@nestjs/schematics@${major}`, '--silent'], { cwd: root, encoding: 'utf8' })
      .trim()
      .split('\n')
      .pop()!;
    execFileSync('tar', ['xzf', tgz], { cwd: root });
  }
  const version = (JSON.parse(readFileSync(join(root, 'package', 'package.json'), 'utf8')) as { version: string }).version;
  return { dir: join(root, 'package', 'dist', 'lib', 'application', 'files', template), version };
}

/** Writes the application `name` into `appDir` from `templateDir`, as `nest new <name> --skip-install --skip-git`. */
export function renderApplication(templateDir: string, appDir: string, name: string, spec: ScaffoldSpec): string[] {
  const data = {
    name,
    version: '0.0.1',
    description: '',
    author: '',
    strict: spec.strict,
    specFileSuffix: 'spec',
    packageManager: 'npm',
    observe: false,
    language: 'ts',
    type: spec.module,
  };
  const written: string[] = [];
  for (const file of walk(templateDir)) {
    const rel = relative(templateDir, file).replace(/__specFileSuffix__/g, data.specFileSuffix);
    const target = join(appDir, rel);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, renderTemplate(readFileSync(file, 'utf8'), data));
    written.push(rel);
  }
  return written.sort();
}
