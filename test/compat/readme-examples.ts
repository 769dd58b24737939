/**
 * Finds the examples of the README and the docs/ pages that the compatibility matrix compiles and runs, so
 * that the documentation cannot drift from what compiles. One extractor for the whole repository: the matrix
 * and the unit specs that run examples (test/unit/readme-testing-example.spec.ts) read README.md and every
 * docs/*.md page (test/support/doc-files.ts lists them) through it, as one set of blocks: a block is found by
 * its markers wherever it lives, and two blocks writing one path clash across pages as within one.
 *
 * Convention: a fenced ```ts block whose FIRST line is `// file: <path>` is a complete file, `<path>` being
 * relative to the root of an application freshly scaffolded by `nest new` (e.g. `// file: src/user-service.pool.ts`).
 * The matrix writes it there verbatim (over the scaffold's own file of that name, if any), compiles it, and
 * runs it when it is a test file of the scaffold's runners (`src/*.spec.ts` for `npm test`,
 * `test/*.e2e-spec.ts` for `npm run test:e2e`). Blocks without the `// file:` line are illustrative and not
 * compiled.
 *
 * Optional marker lines right after the `// file:` line (any order) restrict a block to some applications:
 *   `// module: esm` or `// module: cjs`  the application's module kind: `esm` for `"type": "module"` (Nest 12's
 *                                        `nest new`, vitest), `cjs` for CommonJS (Nest 11's `nest new`, Nest 12's
 *                                        `nest new --type cjs`, both jest). This is the marker the docs use:
 *                                        an ESM file's relative imports end with `.js`, which jest (ts-jest,
 *                                        no moduleNameMapper) cannot resolve in a CommonJS app, and the test
 *                                        runner (vitest or jest) follows the module kind, not the Nest major.
 *   `// nest: 11` or `// nest: 12`       the Nest major (for what differs between majors only).
 * A block applies to an application when every marker it has matches; two blocks writing one path must
 * never both apply to one kind of application (an error names their lines). A marker-like line that is not
 * one of these (`// module: commonjs`) is an error, not a silently universal block.
 *
 * The installation commands are found the same way: a line `npm install nestjs-etcd-registry ... # Nest N`
 * in a fenced bash block is what the matrix runs in the Nest N applications (with the packed tarball in
 * place of the package name).
 */

import type { Doc } from '../support/doc-files';

export type ModuleKind = 'esm' | 'cjs';

/** What a documentation block can be restricted to: a scaffolded application's Nest major and module kind. */
export interface AppKind {
  major: number;
  module: ModuleKind;
}

export interface ReadmeFile {
  /** Path relative to the application root, e.g. `src/app.module.ts`. */
  path: string;
  /** Nest major the block is restricted to, or undefined for every major. */
  nest?: number;
  /** Module kind the block is restricted to, or undefined for both. */
  module?: ModuleKind;
  /** The file's text, the marker lines included (they are comments), with a final newline. */
  content: string;
  /** The document the block is in (`README.md`, `docs/testing.md`), for error messages. */
  doc: string;
  /** 1-based line of the block's first line in that document (for error messages). */
  line: number;
}

const FENCE = /^```(\w*)\s*$/;
const FILE_MARKER = /^\/\/ file: (\S+)\s*$/;
const NEST_MARKER = /^\/\/ nest: (\d+)\s*$/;
const MODULE_MARKER = /^\/\/ module: (esm|cjs)\s*$/;
const ANY_MARKER = /^\/\/ (nest|module):/;
const INSTALL = /^npm install (nestjs-etcd-registry(?:\s+\S+)*?)\s+# Nest (\d+)\s*$/;

interface Block {
  lang: string;
  lines: string[];
  line: number;
}

/** A Markdown text on its own is read as README.md. */
function asDocs(markdown: string | readonly Doc[]): readonly Doc[] {
  return typeof markdown === 'string' ? [{ name: 'README.md', text: markdown }] : markdown;
}

function blocks(markdown: string, doc: string): Block[] {
  const out: Block[] = [];
  let current: Block | undefined;
  markdown.split('\n').forEach((text, i) => {
    const fence = FENCE.exec(text);
    if (!current && fence) current = { lang: fence[1], lines: [], line: i + 2 };
    else if (current && /^```\s*$/.test(text)) {
      out.push(current);
      current = undefined;
    } else if (current) current.lines.push(text);
  });
  if (current) throw new Error(`${doc}: the code block opened at line ${current.line - 1} is never closed`);
  return out;
}

/** Reads the marker lines after `// file:` into `file`. */
function readMarkers(block: Block, file: ReadmeFile): void {
  for (let i = 1; i < block.lines.length && ANY_MARKER.test(block.lines[i]); i++) {
    const text = block.lines[i];
    const nest = NEST_MARKER.exec(text);
    const module = MODULE_MARKER.exec(text);
    const where = `${file.doc} line ${block.line + i}`;
    if (nest && file.nest === undefined) file.nest = Number(nest[1]);
    else if (module && file.module === undefined) file.module = module[1] as ModuleKind;
    else if (nest || module) throw new Error(`${where}: "${text}" repeats a marker of the block`);
    else throw new Error(`${where}: "${text}" is not a marker; use "// nest: 11", "// nest: 12", "// module: esm" or "// module: cjs"`);
  }
}

/** True when some application gets both blocks. */
function overlap(a: ReadmeFile, b: ReadmeFile): boolean {
  const same = <T>(x: T | undefined, y: T | undefined) => x === undefined || y === undefined || x === y;
  return same(a.nest, b.nest) && same(a.module, b.module);
}

/** Where two blocks are, for an error message: `README.md lines 2 and 5`, or `README.md line 2 and docs/x.md line 5`. */
function wherePair(a: ReadmeFile, b: ReadmeFile): string {
  return a.doc === b.doc ? `${a.doc} lines ${a.line} and ${b.line}` : `${a.doc} line ${a.line} and ${b.doc} line ${b.line}`;
}

/**
 * Every `// file:` block of the documents, in order (a bare string is README.md); a path two blocks write for
 * one kind of application is an error, whichever pages they are on.
 */
export function readmeFiles(markdown: string | readonly Doc[]): ReadmeFile[] {
  const files: ReadmeFile[] = [];
  for (const doc of asDocs(markdown)) {
    for (const block of blocks(doc.text, doc.name)) {
      const path = FILE_MARKER.exec(block.lines[0] ?? '');
      if (!path) continue;
      if (block.lang !== 'ts') throw new Error(`${doc.name} line ${block.line}: a "// file:" block must be a \`\`\`ts block`);
      const file: ReadmeFile = {
        path: path[1],
        content: block.lines.join('\n').replace(/\s*$/, '\n'),
        doc: doc.name,
        line: block.line,
      };
      readMarkers(block, file);
      files.push(file);
    }
  }
  for (const f of files) {
    const twin = files.find((g) => g !== f && g.path === f.path && overlap(f, g));
    if (twin) throw new Error(`${wherePair(f, twin)}: two blocks write ${f.path} for the same kind of application`);
  }
  return files;
}

/** How many fenced code blocks of any language the documents hold (a bare string is README.md). */
export function codeBlockCount(markdown: string | readonly Doc[]): number {
  return asDocs(markdown).reduce((n, doc) => n + blocks(doc.text, doc.name).length, 0);
}

/** The `// file:` blocks that apply to an application of that Nest major and module kind. */
export function filesFor(files: ReadmeFile[], app: AppKind): ReadmeFile[] {
  return files.filter((f) => (f.nest === undefined || f.nest === app.major) && (f.module === undefined || f.module === app.module));
}

/** True for a unit test file of the scaffolds' runners (`npm test`: `*.spec.ts`, not `*.e2e-spec.ts`). */
export function isTestFile(path: string): boolean {
  return /\.spec\.ts$/.test(path);
}

/** True for an e2e test file of the scaffolds' runners (`npm run test:e2e`: `test/*.e2e-spec.ts`). */
export function isE2eTestFile(path: string): boolean {
  return /\.e2e-spec\.ts$/.test(path);
}

/**
 * True for a test of the real-etcd fault kit (`test/*.etcd-spec.ts`): neither of the scaffolds' own runs picks
 * it up (they run with no etcd); the matrix runs these in a stage of their own, with ETCD_BIN set.
 */
export function isEtcdTestFile(path: string): boolean {
  return /\.etcd-spec\.ts$/.test(path);
}

/**
 * The command that runs the fault-kit tests in an application of that module kind, as docs/testing.md gives it:
 * the scaffold's own e2e script (jest with its e2e config; Nest 12's runs it under `node --experimental-vm-modules`)
 * with another test pattern (CommonJS), vitest with that page's
 * `vitest.config.etcd.ts` (ES module: vitest has no command-line option to widen a config's `include`).
 */
export function etcdTestCommand(module: ModuleKind): string[] {
  return module === 'esm'
    ? ['npx', 'vitest', 'run', '--config', './vitest.config.etcd.ts']
    : ['npm', 'run', 'test:e2e', '--', '--testRegex', "'.etcd-spec.ts$'", '--runInBand'];
}

/** `entry` and every block it imports through relative paths (`./x` or `./x.js` is `x.ts`), transitively. */
export function withRelativeImports(files: ReadmeFile[], entry: string): ReadmeFile[] {
  const byPath = new Map<string, ReadmeFile>();
  for (const f of files) {
    if (byPath.has(f.path))
      throw new Error(`${wherePair(byPath.get(f.path)!, f)}: pick the blocks of one kind of application first (filesFor)`);
    byPath.set(f.path, f);
  }
  const wanted = new Map<string, ReadmeFile>();
  const visit = (path: string) => {
    const file = byPath.get(path);
    if (!file) throw new Error(`README.md and docs/ have no "// file: ${path}" block for this kind of application`);
    if (wanted.has(path)) return;
    wanted.set(path, file);
    const dir = path.includes('/') ? path.slice(0, path.lastIndexOf('/') + 1) : '';
    for (const [, spec] of file.content.matchAll(/from '(\.{1,2}\/[^']+)'/g)) visit(normalise(dir + spec.replace(/\.js$/, '')) + '.ts');
  };
  visit(entry);
  return [...wanted.values()];
}

function normalise(path: string): string {
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '.' || part === '') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return out.join('/');
}

/** The install command for Nest `major` (the README gives it), as arguments after `npm install`. */
export function installArgs(markdown: string | readonly Doc[], major: number): string[] {
  const found: string[][] = [];
  for (const doc of asDocs(markdown)) {
    for (const block of blocks(doc.text, doc.name)) {
      if (block.lang !== 'bash') continue;
      for (const text of block.lines) {
        const m = INSTALL.exec(text);
        if (m && Number(m[2]) === major) found.push(m[1].split(/\s+/));
      }
    }
  }
  if (found.length !== 1) {
    throw new Error(`README.md and docs/: expected one "npm install nestjs-etcd-registry ... # Nest ${major}" line, found ${found.length}`);
  }
  return found[0];
}
