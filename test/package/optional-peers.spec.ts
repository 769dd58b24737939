import { spawnSync } from 'child_process';
import { rmSync } from 'fs';
import { projectWithBuiltPackage } from '../support/built-package';

/**
 * With an optional peer missing, a caught import or require of its wing never
 * takes the process down, and the error names the package and the install command. A temporary
 * project holds a copy of the build and every installed package but @nestjs/axios and axios.
 */
describe('a missing optional peer (child processes, temporary project)', () => {
  let project: string;
  beforeAll(() => {
    project = projectWithBuiltPackage('peer-missing-', ['@nestjs/axios', 'axios']);
  }, 180_000);
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  const node = (args: string[], source: string) =>
    spawnSync(process.execPath, [...args, '-e', source], { cwd: project, encoding: 'utf8', timeout: 60_000 });

  it('ESM: a caught import rejects with the install hint, and the process goes on (exit 0)', () => {
    const res = node(
      ['--input-type=module'],
      `try { await import('nestjs-etcd-registry/axios'); console.log('loaded'); }
       catch (e) { console.log('caught: ' + e.message); }
       const main = await import('nestjs-etcd-registry');
       console.log('main: ' + typeof main.EtcdRegistryModule);`,
    );
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    expect(res.stdout).toContain('caught: nestjs-etcd-registry/axios needs @nestjs/axios and axios');
    expect(res.stdout).toContain('npm install @nestjs/axios axios');
    expect(res.stdout).toContain('main: function');
  });

  it('CommonJS: a caught require throws the same error, and the process goes on (exit 0)', () => {
    const res = node(
      [],
      `try { require('nestjs-etcd-registry/axios'); console.log('loaded'); }
       catch (e) { console.log('caught: ' + e.name + ': ' + e.message); }
       console.log('main: ' + typeof require('nestjs-etcd-registry').EtcdRegistryModule);`,
    );
    expect(res.status).toBe(0);
    expect(res.stdout).toContain('caught: OptionalPeerMissingError: nestjs-etcd-registry/axios needs @nestjs/axios and axios');
    expect(res.stdout).toContain('npm install @nestjs/axios axios');
    expect(res.stdout).toContain('main: function');
  });
});
