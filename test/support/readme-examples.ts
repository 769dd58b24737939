import { readFileSync } from 'fs';

/** A fenced ts block of README.md that is a complete file (see the example convention). */
export interface ReadmeFile {
  /** Path relative to a fresh Nest application's root, from the block's `// file:` line. */
  path: string;
  /** The Nest major the block is restricted to (`// nest: N`), if any. */
  nest?: number;
  /** The block's text, verbatim. */
  text: string;
}

/** Every ```ts block whose first line is `// file: <path>`, in order. */
export function readmeFiles(readmePath: string): ReadmeFile[] {
  const files: ReadmeFile[] = [];
  for (const match of readFileSync(readmePath, 'utf8').matchAll(/^```ts\n([\s\S]*?)^```$/gm)) {
    const text = match[1];
    const [first, second] = text.split('\n');
    const file = /^\/\/ file: (\S+)\s*$/.exec(first);
    if (!file) continue;
    const nest = /^\/\/ nest: (\d+)\s*$/.exec(second ?? '');
    files.push({ path: file[1], nest: nest ? Number(nest[1]) : undefined, text });
  }
  return files;
}

/** The blocks an application of Nest `major` gets: unrestricted ones and those for that major. */
export function filesForNest(files: ReadmeFile[], major: number): ReadmeFile[] {
  return files.filter((f) => f.nest === undefined || f.nest === major);
}

/** `entry` and every block it imports through relative paths (`./x` resolves to `x.ts`), transitively. */
export function withRelativeImports(files: ReadmeFile[], entry: string): ReadmeFile[] {
  const byPath = new Map(files.map((f) => [f.path, f]));
  const wanted = new Map<string, ReadmeFile>();
  const visit = (path: string) => {
    const file = byPath.get(path);
    if (!file) throw new Error(`README has no "// file: ${path}" block for this Nest major`);
    if (wanted.has(path)) return;
    wanted.set(path, file);
    const dir = path.includes('/') ? path.slice(0, path.lastIndexOf('/') + 1) : '';
    for (const [, spec] of file.text.matchAll(/from '(\.{1,2}\/[^']+)'/g)) visit(normalise(dir + spec.replace(/\.js$/, '')) + '.ts');
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
