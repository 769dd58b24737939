/**
 * A minimal TypeScript require hook for the benchmark's child processes: transpiles each .ts file
 * with the project's compiler options, and nothing else. ts-node/register loads Node's `domain`
 * module, which puts every EventEmitter creation and emit (grpc-js and etcd3 emit several per
 * call) on a slower path: measured processes must not pay a cost that an application running
 * compiled JavaScript does not.
 */
'use strict';
const fs = require('fs');
const ts = require('typescript');

const compilerOptions = {
  module: ts.ModuleKind.CommonJS,
  target: ts.ScriptTarget.ES2021,
  esModuleInterop: true,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  isolatedModules: true,
  sourceMap: false,
};

require.extensions['.ts'] = (module, filename) => {
  const source = fs.readFileSync(filename, 'utf8');
  const { outputText } = ts.transpileModule(source, { compilerOptions, fileName: filename });
  module._compile(outputText, filename);
};
