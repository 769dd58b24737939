/**
 * Runs the README's quick-start AppModule (`src/quick-start/app.module.ts`, its first code) verbatim against
 * this repository's source, as an application's e2e test would: its EtcdRegistryModule runs on an in-memory
 * registry (overrideEtcdRegistry), so no etcd is needed and its options factory, which reads ETCD_ENDPOINTS
 * with getOrThrow, never runs. The compatibility matrix compiles the same file in scaffolded applications.
 */
import { mkdirSync, rmSync, writeFileSync } from 'fs';
import { dirname, join } from 'path';
import { Test, TestingModule } from '@nestjs/testing';
import { InMemoryRegistry, overrideEtcdRegistry } from '../../lib/testing';
import { readmeFiles } from '../compat/readme-examples';
import { docFiles } from '../support/doc-files';

const ROOT = join(__dirname, '..', '..');
/** A dot-directory: tsc's include globs skip it; ts-jest compiles it when it is required. */
const APP = join(ROOT, 'test', '.readme-quick-start');
const ENTRY = 'src/quick-start/app.module.ts';

const block = readmeFiles(docFiles()).find((f) => f.path === ENTRY);
rmSync(APP, { recursive: true, force: true });
if (block) {
  mkdirSync(dirname(join(APP, ENTRY)), { recursive: true });
  writeFileSync(join(APP, ENTRY), block.content);
}

describe("README quick start's AppModule, verbatim", () => {
  let moduleRef: TestingModule | undefined;
  afterEach(() => moduleRef?.close());

  it('is the README block, with no etcd configured', () => {
    expect(block?.doc).toBe('README.md');
    expect(process.env.ETCD_ENDPOINTS).toBeUndefined();
  });

  it("starts, and its @WatchServices handler keeps the user-service instances' addresses", async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const quickStart = require(join(APP, ENTRY)) as { AppModule: new () => unknown; UsersClient: new () => { addresses: string[] } };
    const registry = new InMemoryRegistry();
    await registry.addInstance('/services/user-service/u1', '10.0.0.1:3000');
    const app = await overrideEtcdRegistry(Test.createTestingModule({ imports: [quickStart.AppModule] }), { registry }).compile();
    moduleRef = app;
    await app.init();
    const users = app.get(quickStart.UsersClient);
    expect(users.addresses).toEqual(['10.0.0.1:3000']);
    await registry.addInstance('/services/user-service/u2', '10.0.0.2:3000');
    expect([...users.addresses].sort()).toEqual(['10.0.0.1:3000', '10.0.0.2:3000']);
    await registry.leave('/services/user-service/u1');
    expect(users.addresses).toEqual(['10.0.0.2:3000']);
  });
});
