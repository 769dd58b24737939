import { INestApplication, ModuleMetadata } from '@nestjs/common';
import { Test, TestingModuleBuilder } from '@nestjs/testing';

/** Changes the testing module before it compiles, e.g. `(b) => b.overrideProvider(ETCD_CLIENT).useValue(client)`. */
export type ModuleOverride = (builder: TestingModuleBuilder) => TestingModuleBuilder;

/** Compiles a testing module from `metadata` and creates its application (logger off), not yet initialised. */
export async function createApp(metadata: ModuleMetadata, override?: ModuleOverride): Promise<INestApplication> {
  let builder = Test.createTestingModule(metadata);
  if (override) builder = override(builder);
  const moduleRef = await builder.compile();
  return moduleRef.createNestApplication({ logger: false });
}

export interface NestApps {
  /**
   * Creates and starts an application: app.listen() on a free loopback port (an HTTP app
   * registers its service in listen()); it is closed after the test.
   */
  start(metadata: ModuleMetadata, override?: ModuleOverride): Promise<INestApplication>;
  /** Creates an application without initialising it (for a start that must fail); closed after the test. */
  create(metadata: ModuleMetadata, override?: ModuleOverride): Promise<INestApplication>;
  /** Closes `app` now; it is not closed again after the test. */
  close(app: INestApplication): Promise<void>;
}

/** Jest hooks for a Nest spec: every application made through it is closed in afterEach. */
export function withNestApps(): NestApps {
  const open = new Set<INestApplication>();
  const apps: NestApps = {
    async create(metadata, override) {
      const app = await createApp(metadata, override);
      open.add(app);
      return app;
    },
    async start(metadata, override) {
      const app = await apps.create(metadata, override);
      await app.listen(0, '127.0.0.1');
      return app;
    },
    async close(app) {
      open.delete(app);
      await app.close();
    },
  };
  afterEach(async () => {
    const all = [...open];
    open.clear();
    for (const app of all) await app.close();
  });
  return apps;
}
