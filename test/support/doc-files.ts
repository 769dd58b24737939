import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';

/** One Markdown document of the repository: its path from the root (`README.md`, `docs/nest.md`) and its text. */
export interface Doc {
  name: string;
  text: string;
}

const ROOT = join(__dirname, '..', '..');

/** The paths of the documents whose examples the tests compile and run: README.md, then docs/*.md by name. */
export function docPaths(root = ROOT): string[] {
  const pages = readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`);
  return ['README.md', ...pages];
}

/** README.md and every docs/*.md page, read from `root` (the repository by default). */
export function docFiles(root = ROOT): Doc[] {
  return docPaths(root).map((name) => ({ name, text: readFileSync(join(root, name), 'utf8') }));
}
