/**
 * Runs docs/testing.md's jest handler test (`src/users.watcher.spec.ts` of a CommonJS Nest 11 application, and
 * the blocks it imports) verbatim, found among the README's and docs/ pages' blocks,
 * against this repository's source: jest maps 'nestjs-etcd-registry' and 'nestjs-etcd-registry/testing'
 * to lib/ (moduleNameMapper), and the type check maps them the same way. No etcd is started, none is
 * configured, and the example creates no etcd client at all.
 */
import { mkdirSync, rmSync, writeFileSync } from 'fs';
import { dirname, join } from 'path';
import * as ts from 'typescript';
import { countEtcdClients } from '../support/etcd-client-counter';
import { filesFor, readmeFiles, withRelativeImports } from '../compat/readme-examples';
import { docFiles } from '../support/doc-files';

const ROOT = join(__dirname, '..', '..');
/** A dot-directory: tsc's include globs skip it; ts-jest compiles it when it is required. */
const APP = join(ROOT, 'test', '.readme-app');
const ENTRY = 'src/users.watcher.spec.ts';

const files = withRelativeImports(filesFor(readmeFiles(docFiles()), { major: 11, module: 'cjs' }), ENTRY);
rmSync(APP, { recursive: true, force: true });
for (const file of files) {
  mkdirSync(dirname(join(APP, file.path)), { recursive: true });
  writeFileSync(join(APP, file.path), file.content);
}

describe('docs/testing.md example (Nest 11 CommonJS, jest), verbatim', () => {
  let etcdClients: jest.SpyInstance;
  beforeAll(() => {
    etcdClients = countEtcdClients();
  });
  afterAll(() => {
    const made = etcdClients.mock.calls.length;
    etcdClients.mockRestore();
    expect(made).toBe(0);
  });

  it('is made of the docs/testing.md blocks, with no etcd configured', () => {
    expect(files.map((f) => f.path).sort()).toEqual(['src/users.watcher.spec.ts', 'src/users.watcher.ts']);
    expect(process.env.ETCD_ENDPOINTS).toBeUndefined();
  });

  it('type-checks against the source (strict, as the repository)', () => {
    const config = ts.getParsedCommandLineOfConfigFile(
      join(ROOT, 'tsconfig.json'),
      {},
      { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
    );
    const program = ts.createProgram(
      files.map((f) => join(APP, f.path)),
      {
        ...config!.options,
        noEmit: true,
        incremental: false,
        paths: {
          'nestjs-etcd-registry': [join(ROOT, 'lib/index.ts')],
          'nestjs-etcd-registry/testing': [join(ROOT, 'lib/testing/index.ts')],
        },
      },
    );
    const problems = ts
      .getPreEmitDiagnostics(program)
      .map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    expect(problems).toEqual([]);
  });

  // The example's own describe/it blocks, registered inside this one.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(join(APP, ENTRY));
});
