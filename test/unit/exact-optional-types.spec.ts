import { join } from 'path';
import * as ts from 'typescript';
import { filesFor, isTestFile, readmeFiles } from '../compat/readme-examples';
import { docFiles } from '../support/doc-files';

const ROOT = join(__dirname, '..', '..');

/**
 * Types: the application files of the README and docs/ type-check under the strictest flags users turn
 * on (strict, exactOptionalPropertyTypes, noUncheckedIndexedAccess), the package's names mapped to
 * its source; so does an options object read from process.env.
 */
describe('types under exactOptionalPropertyTypes and noUncheckedIndexedAccess', () => {
  it("the docs' application files and options read from process.env compile", () => {
    const dir = join(ROOT, 'test', 'unit', '.exact-optional');
    const files = filesFor(readmeFiles(docFiles()), { major: 11, module: 'cjs' }).filter(
      (f) => f.path.startsWith('src/') && !isTestFile(f.path),
    );
    const sources = new Map<string, string>(files.map((f) => [join(dir, f.path), f.content]));
    // The scaffold's own files the README's AppModule imports.
    sources.set(join(dir, 'src', 'app.controller.ts'), 'export class AppController {}\n');
    sources.set(join(dir, 'src', 'app.service.ts'), 'export class AppService {}\n');
    sources.set(
      join(dir, 'src', 'from-env.ts'),
      [
        "import { EtcdRegistryModule } from 'nestjs-etcd-registry';",
        "import { createRegistry } from 'nestjs-etcd-registry/core-for-test';",
        'export const fromEnv = EtcdRegistryModule.forRoot({',
        "  endpoints: (process.env.ETCD_ENDPOINTS ?? '127.0.0.1:2379').split(','),",
        '  username: process.env.ETCD_USERNAME,',
        '  password: process.env.ETCD_PASSWORD,',
        '  namespace: process.env.ETCD_NAMESPACE,',
        '  service: { name: "users", address: "10.0.0.1:80", id: process.env.INSTANCE_ID },',
        '});',
        "export const core = createRegistry({ endpoints: ['127.0.0.1:2379'], namespace: process.env.NS, tls: { ca: process.env.CA } });",
      ].join('\n'),
    );
    const options: ts.CompilerOptions = {
      strict: true,
      exactOptionalPropertyTypes: true,
      noUncheckedIndexedAccess: true,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      esModuleInterop: true,
      skipLibCheck: true,
      noEmit: true,
      module: ts.ModuleKind.CommonJS,
      moduleResolution: ts.ModuleResolutionKind.Node10,
      target: ts.ScriptTarget.ES2021,
      types: ['node'],
      baseUrl: ROOT,
      paths: {
        'nestjs-etcd-registry': ['lib/index.ts'],
        'nestjs-etcd-registry/core-for-test': ['lib/core/index.ts'],
        'nestjs-etcd-registry/*': ['lib/*/index.ts'],
      },
    };
    const host = ts.createCompilerHost(options);
    const read = host.readFile.bind(host);
    host.readFile = (file) => sources.get(file) ?? read(file);
    const exists = host.fileExists.bind(host);
    host.fileExists = (file) => sources.has(file) || exists(file);
    host.directoryExists = (d) => d.startsWith(dir) || ts.sys.directoryExists(d);
    const program = ts.createProgram([...sources.keys()], options, host);
    const ours = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file && sources.has(d.file.fileName))
      .map((d) => `${d.file!.fileName.slice(dir.length + 1)}: TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
    expect(files.length).toBeGreaterThan(3);
    expect(ours).toEqual([]);
  });
});
