import { existsSync, readFileSync } from 'fs';
import { dirname, join, normalize } from 'path';
import { codeBlockCount, readmeFiles } from '../compat/readme-examples';
import { docFiles, docPaths } from '../support/doc-files';

const ROOT = join(__dirname, '..', '..');
/** Where the README's links point: the repository on GitHub (relative links are dead on the npm page). */
const REPO = 'https://github.com/nestjs-etcd-registry/nestjs-etcd-registry';

/**
 * Before the README was split into docs/ pages it held 14 `// file:` examples (compiled and run by the
 * compatibility matrix) and 28 fenced code blocks in all. Every one of them lives on some page now, so
 * these are floors: an example lost in a move fails here.
 */
const FILE_EXAMPLES_BEFORE_SPLIT = 14;
const CODE_BLOCKS_BEFORE_SPLIT = 28;

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens; a repeat gets `-1`, `-2`. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^```/.test(line)) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6} (.+)$/.exec(line);
    if (!heading) continue;
    const base = heading[1]
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** The Markdown links of a text outside code blocks and code spans. */
function links(markdown: string): string[] {
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]);
}

/** The repository file a link from `from` names (`docs/nest.md`), and its anchor; undefined for other sites. */
function target(from: string, link: string): { file: string; anchor?: string } | undefined {
  const [path, anchor] = link.split('#') as [string, string | undefined];
  const onGitHub = /^https:\/\/github\.com\/[^/]+\/[^/]+\/(?:blob|tree)\/main\/(.+)$/.exec(path);
  if (path.startsWith(REPO) && onGitHub) return { file: onGitHub[1], anchor };
  if (path === REPO) return { file: 'README.md', anchor: anchor === 'readme' ? undefined : anchor };
  if (/^[a-z]+:/.test(link)) return undefined;
  return { file: path === '' ? from : normalize(join(dirname(from), path)), anchor };
}

describe('README and docs/ pages', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const lines = readme.split('\n');
  const docs = docFiles();

  it('the README is at most 300 lines and starts with code: install line, AppModule with forRootAsync, a handler, main.ts', () => {
    expect(lines.length).toBeLessThanOrEqual(300);
    const first60 = lines.slice(0, 60).join('\n');
    for (const text of [
      'npm install nestjs-etcd-registry',
      'EtcdRegistryModule.forRootAsync',
      'ConfigModule',
      '@WatchServices',
      'enableShutdownHooks',
    ]) {
      expect({ text, found: first60.includes(text) }).toEqual({ text, found: true });
    }
    // The AppModule and main.ts up there are compiled examples, not illustrations.
    const early = readmeFiles(readme).filter((f) => f.line <= 60);
    expect(early.map((f) => f.path)).toEqual(['src/quick-start/app.module.ts', 'src/quick-start/main.ts']);
  });

  it('keeps the commands a fresh machine needs (.ci/run runs the same two)', () => {
    expect(readme).toContain('npm ci && npm run sample');
    expect(readme).toContain('npm ci && npm test ');
    const ci = readFileSync(join(ROOT, '.ci', 'run'), 'utf8');
    expect(ci).toMatch(/^npm run sample$/m);
    expect(ci).toMatch(/^npm test\b/m);
  });

  it('links every docs/ page and BENCHMARKS.md from the README, each one existing', () => {
    const linked = new Set(links(readme).map((l) => target('README.md', l)?.file));
    for (const page of [...docPaths().filter((p) => p !== 'README.md'), 'BENCHMARKS.md']) {
      expect({ page, linked: linked.has(page) }).toEqual({ page, linked: true });
    }
    for (const file of linked) if (file) expect({ file, exists: existsSync(join(ROOT, file)) }).toEqual({ file, exists: true });
  });

  it('has only links that resolve: to files that exist and to headings those files have', () => {
    const broken: string[] = [];
    for (const doc of [...docs, { name: 'BENCHMARKS.md', text: readFileSync(join(ROOT, 'BENCHMARKS.md'), 'utf8') }]) {
      for (const link of links(doc.text)) {
        const t = target(doc.name, link);
        if (!t) continue;
        if (!existsSync(join(ROOT, t.file))) broken.push(`${doc.name}: ${link} (no ${t.file})`);
        else if (t.anchor && !anchors(readFileSync(join(ROOT, t.file), 'utf8')).has(t.anchor)) {
          broken.push(`${doc.name}: ${link} (no heading #${t.anchor} in ${t.file})`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('holds at least as many examples across README and docs/ as the README held before the split', () => {
    expect(readmeFiles(docs).length).toBeGreaterThanOrEqual(FILE_EXAMPLES_BEFORE_SPLIT);
    expect(codeBlockCount(docs)).toBeGreaterThanOrEqual(CODE_BLOCKS_BEFORE_SPLIT);
  });
});
