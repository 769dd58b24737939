import { readFileSync } from 'fs';
import { join } from 'path';
import * as ts from 'typescript';

jest.setTimeout(120_000);

const ROOT = join(__dirname, '..', '..');
const CHECK_FILE = join(ROOT, 'test', 'unit', '__optional-undefined-check.ts');

/** Each entry point of package.json's exports, as its source file (`./testing/etcd` -> lib/testing/etcd/index.ts). */
function entryFiles(): Record<string, string> {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
  const out: Record<string, string> = {};
  for (const subpath of Object.keys(pkg.exports)) {
    if (subpath === './package.json') continue;
    out[subpath] = join(ROOT, 'lib', subpath === '.' ? '' : subpath.slice(2), 'index.ts');
  }
  return out;
}

const COMPILER_OPTIONS: ts.CompilerOptions = {
  module: ts.ModuleKind.CommonJS,
  target: ts.ScriptTarget.ES2021,
  lib: ['lib.es2021.d.ts'],
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  strict: true,
  exactOptionalPropertyTypes: true,
  noEmit: true,
  skipLibCheck: true,
  esModuleInterop: true,
  types: ['node'],
};

/**
 * Under exactOptionalPropertyTypes, `{ [K in keyof T]-?: T[K] }` keeps an explicit `| undefined` and drops the
 * one an optional property only implies: so `Bare<T>` is the optional keys of T declared without `| undefined`.
 */
const HELPERS = `
type OptionalKeys<T> = { [K in keyof T]-?: {} extends Pick<T, K> ? K : never }[keyof T];
type Strict<T> = { [K in keyof T]-?: T[K] };
type Bare<T> = T extends unknown ? { [K in OptionalKeys<T>]: undefined extends Strict<T>[K] ? never : K }[OptionalKeys<T>] : never;
type Check<T> = [Bare<T>] extends [never] ? true : { optionalWithoutUndefined: Bare<T> };
`;

describe('public option types under exactOptionalPropertyTypes', () => {
  it('every optional field of every exported *Options type of every entry point accepts undefined', () => {
    const entries = entryFiles();
    // 1. The exported *Options types of each entry point.
    const base = ts.createProgram(Object.values(entries), COMPILER_OPTIONS);
    const checker = base.getTypeChecker();
    const imports: string[] = [];
    const checks: string[] = [];
    const seen = new Set<string>();
    for (const [subpath, file] of Object.entries(entries)) {
      const source = base.getSourceFile(file);
      const moduleSymbol = source && checker.getSymbolAtLocation(source);
      expect(moduleSymbol).toBeDefined();
      const names = checker
        .getExportsOfModule(moduleSymbol!)
        .filter((s) => /(Options|Input)$/.test(s.name))
        .filter((s) => {
          const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
          return (target.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias)) !== 0;
        })
        .map((s) => s.name);
      if (names.length === 0) continue;
      const alias = `E${imports.length}`;
      imports.push(`import type * as ${alias} from ${JSON.stringify(file.replace(/\.ts$/, ''))};`);
      for (const name of names) {
        if (seen.has(name)) continue;
        seen.add(name);
        checks.push(`export const ${name}__${alias}: Check<${alias}.${name}> = true; // ${subpath}`);
      }
    }
    expect([...seen]).toEqual(
      expect.arrayContaining(['EtcdRegistryModuleOptions', 'RegistryOptions', 'InMemoryRegistryOptions', 'EtcdTestServerStartOptions']),
    );

    // 2. One assignment per type, in a file compiled with exactOptionalPropertyTypes: an error names the fields.
    const text = [...imports, HELPERS, ...checks].join('\n');
    const host = ts.createCompilerHost(COMPILER_OPTIONS);
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (name, version, ...rest) =>
      name === CHECK_FILE ? ts.createSourceFile(name, text, version) : getSourceFile(name, version, ...rest);
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (name) => name === CHECK_FILE || fileExists(name);
    const program = ts.createProgram([CHECK_FILE], COMPILER_OPTIONS, host, base);
    const problems = ts.getPreEmitDiagnostics(program, program.getSourceFile(CHECK_FILE)).map((d) => {
      const line = d.file ? text.split('\n')[d.file.getLineAndCharacterOfPosition(d.start ?? 0).line] : '';
      const message = ts.flattenDiagnosticMessageText(d.messageText, ' ');
      const fields = /optionalWithoutUndefined: ([^;}]+)/.exec(message)?.[1]?.trim() ?? message;
      return `${/const (\w+)__/.exec(line ?? '')?.[1] ?? line}: ${fields}`;
    });
    expect(problems).toEqual([]);
  });
});
