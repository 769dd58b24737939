import * as ts from 'typescript';

/** The names (values and types) a module exports, as the TypeScript compiler sees them: a .ts entry or a built .d.ts. */
export function exportedNames(file: string): string[] {
  const program = ts.createProgram([file], {
    module: ts.ModuleKind.CommonJS,
    target: ts.ScriptTarget.ES2021,
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    skipLibCheck: true,
    noEmit: true,
    types: ['node'],
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  const symbol = source && checker.getSymbolAtLocation(source);
  if (!symbol) throw new Error(`${file}: not a module the compiler can read`);
  return checker
    .getExportsOfModule(symbol)
    .map((s) => s.getName())
    .sort();
}
