import { execFileSync } from 'child_process';
import { existsSync, mkdirSync, readFileSync } from 'fs';
import { join } from 'path';
import type { ModuleKind } from './readme-examples';

/**
 * A Nest application as `nest new` writes it: the Nest CLI of that major runs its own `new` command (the
 * `@nestjs/schematics` `application` schematic through Angular devkit's schematics engine), with installs and
 * git skipped. Nothing of the templates is re-implemented here, so a new template variable, file or layout
 * in a later release is handled by the code that defines it.
 */
export interface ScaffoldSpec {
  /** e.g. `nest11-cjs`. */
  id: string;
  major: 11 | 12;
  /** The application's module kind: `nest new --type` in Nest 12 (11 has only CommonJS); which documentation blocks it gets. */
  module: ModuleKind;
  /** Oldest Node on which the scaffold's own test runner works, when it has one (checked by the matrix). */
  testNodeFloor?: string;
  testNodeFloorReason?: string;
}

export const SCAFFOLDS: ScaffoldSpec[] = [
  { id: 'nest11-cjs', major: 11, module: 'cjs' },
  { id: 'nest12-esm', major: 12, module: 'esm' },
  {
    id: 'nest12-cjs',
    major: 12,
    module: 'cjs',
    // Its jest loads the ESM-only @nestjs/testing 12 through require(esm), which jest supports from Node
    // 24.9; below that the scaffold's own app.controller.spec fails, with or without this package. Its
    // unit and e2e tests (the docs' included) run on Node 24.
    testNodeFloor: '24.9.0',
    testNodeFloorReason: "jest in Nest 12's CommonJS scaffold needs Node 24.9+ (require of the ESM-only @nestjs/testing)",
  },
];

/** The Nest CLI installed for one major, and the @nestjs/schematics release it resolved. */
export interface NestCli {
  /** Path of the CLI's `bin/nest.js`. */
  bin: string;
  cliVersion: string;
  schematicsVersion: string;
}

function packageVersion(dir: string): string {
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

/** The newest release matching `spec` (`npm view` lists them in no useful order: 12.0.7 after 12.0.17). */
function latest(spec: string): string {
  const out = execFileSync('npm', ['view', spec, 'version', '--json'], { encoding: 'utf8' });
  const found = JSON.parse(out) as string | string[];
  const versions = Array.isArray(found) ? found : [found];
  const parts = (v: string) => v.split(/[.+-]/).slice(0, 3).map(Number);
  return versions.reduce((a, b) => {
    const [x, y] = [parts(a), parts(b)];
    const i = x.findIndex((n, k) => n !== y[k]);
    return i >= 0 && y[i] > x[i] ? b : a;
  });
}

/**
 * Installs the newest `@nestjs/cli@<major>` (with the newest `@nestjs/schematics` of that major it accepts)
 * into `cacheDir`, once per pair of released versions: a newer release of either is installed afresh.
 */
export function installNestCli(major: number, cacheDir: string): NestCli {
  const cliVersion = latest(`@nestjs/cli@${major}`);
  const schematicsLatest = latest(`@nestjs/schematics@${major}`);
  const root = join(cacheDir, `nest-cli-${cliVersion}-schematics-${schematicsLatest}`);
  const modules = join(root, 'node_modules', '@nestjs');
  if (!existsSync(join(modules, 'schematics', 'package.json'))) {
    mkdirSync(root, { recursive: true });
    execFileSync(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--no-save',
        '--silent',
        `@nestjs/cli@${cliVersion}`,
        `@nestjs/schematics@${schematicsLatest}`,
      ],
      { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
    );
  }
  return {
    bin: join(modules, 'cli', 'bin', 'nest.js'),
    cliVersion: packageVersion(join(modules, 'cli')),
    schematicsVersion: packageVersion(join(modules, 'schematics')),
  };
}

/**
 * The arguments of `nest new` for `spec`, as a newcomer types them with nothing installed: the CLI's own
 * defaults for everything else (--strict: false in 11, true in 12). Nest 12's prompts are answered by flags
 * (module type, no observability, no agent skills) so the run never waits for a terminal.
 */
export function newArgs(spec: ScaffoldSpec): string[] {
  const args = ['new', spec.id, '--directory', spec.id, '--skip-install', '--skip-git', '--package-manager', 'npm'];
  if (spec.major >= 12) args.push('--type', spec.module, '--no-observe', '--skip-skills', '--no-interactive');
  return args;
}

/** Writes the application `spec.id` into `<workDir>/<spec.id>` with the CLI's `new`; returns the app's folder. */
export function scaffoldApplication(cli: NestCli, spec: ScaffoldSpec, workDir: string, node = process.execPath): string {
  const appDir = join(workDir, spec.id);
  execFileSync(node, [cli.bin, ...newArgs(spec)], { cwd: workDir, env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
  if (!existsSync(join(appDir, 'package.json'))) {
    throw new Error(`nest new (@nestjs/cli ${cli.cliVersion}) wrote no ${join(spec.id, 'package.json')} in ${workDir}`);
  }
  return appDir;
}
