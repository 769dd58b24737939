/**
 * Finds the README examples that the compatibility matrix compiles, so that the README cannot drift
 * from what compiles.
 *
 * Convention (shared with the testing kit's README section): a fenced ```ts block whose FIRST line is
 * `// file: <path>` is a complete file, `<path>` being relative to the root of an application freshly
 * scaffolded by `nest new` (e.g. `// file: src/user-service.pool.ts`). The matrix writes it there
 * verbatim (over the scaffold's own file of that name, if any) and compiles it; a test file that the
 * scaffold's test runner picks up is also run. An optional SECOND line `// nest: 11` or `// nest: 12`
 * restricts the block to that Nest major (e.g. a jest test for Nest 11 and a vitest test for Nest 12).
 * Blocks without the `// file:` line are illustrative and not compiled.
 *
 * The installation commands are found the same way: a line `npm install nestjs-etcd-registry ... # Nest N`
 * in a fenced bash block is what the matrix runs in the Nest N applications (with the packed tarball in
 * place of the package name).
 */

export interface ReadmeFile {
  /** Path relative to the application root, e.g. `src/app.module.ts`. */
  path: string;
  /** Nest major the block is restricted to, or undefined for every major. */
  nest?: number;
  /** The file's text, the marker lines included (they are comments), with a final newline. */
  content: string;
  /** 1-based line of the block's first line in README.md (for error messages). */
  line: number;
}

const FENCE = /^```(\w*)\s*$/;
const FILE_MARKER = /^\/\/ file: (\S+)\s*$/;
const NEST_MARKER = /^\/\/ nest: (\d+)\s*$/;
const INSTALL = /^npm install (nestjs-etcd-registry(?:\s+\S+)*?)\s+# Nest (\d+)\s*$/;

interface Block {
  lang: string;
  lines: string[];
  line: number;
}

function blocks(markdown: string): Block[] {
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
  if (current) throw new Error(`README.md: the code block opened at line ${current.line - 1} is never closed`);
  return out;
}

/** Every `// file:` block of the README, in order; a path given twice for one major is an error. */
export function readmeFiles(markdown: string): ReadmeFile[] {
  const files: ReadmeFile[] = [];
  for (const block of blocks(markdown)) {
    const file = FILE_MARKER.exec(block.lines[0] ?? '');
    if (!file) continue;
    if (block.lang !== 'ts') throw new Error(`README.md line ${block.line}: a "// file:" block must be a \`\`\`ts block`);
    const nest = NEST_MARKER.exec(block.lines[1] ?? '');
    files.push({
      path: file[1],
      nest: nest ? Number(nest[1]) : undefined,
      content: block.lines.join('\n').replace(/\s*$/, '\n'),
      line: block.line,
    });
  }
  for (const f of files) {
    const twin = files.find((g) => g !== f && g.path === f.path && (g.nest === undefined || f.nest === undefined || g.nest === f.nest));
    if (twin) throw new Error(`README.md lines ${f.line} and ${twin.line}: two blocks write ${f.path} for the same Nest major`);
  }
  return files;
}

/** The `// file:` blocks that apply to an application of Nest `major`. */
export function filesFor(files: ReadmeFile[], major: number): ReadmeFile[] {
  return files.filter((f) => f.nest === undefined || f.nest === major);
}

/** True for a file the scaffolds' unit test runners pick up (`*.spec.ts`). */
export function isTestFile(path: string): boolean {
  return /\.spec\.ts$/.test(path);
}

/** The README's install command for Nest `major`, as arguments after `npm install`. */
export function installArgs(markdown: string, major: number): string[] {
  const found: string[][] = [];
  for (const block of blocks(markdown)) {
    if (block.lang !== 'bash') continue;
    for (const text of block.lines) {
      const m = INSTALL.exec(text);
      if (m && Number(m[2]) === major) found.push(m[1].split(/\s+/));
    }
  }
  if (found.length !== 1) {
    throw new Error(`README.md: expected one "npm install nestjs-etcd-registry ... # Nest ${major}" line, found ${found.length}`);
  }
  return found[0];
}
