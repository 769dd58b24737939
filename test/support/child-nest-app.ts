/**
 * A real Nest application in a child process, for start-up tests. Env: ETCD_ENDPOINTS, PREFIX
 * (service prefix), SERVICE_ID, PORT (0 for a free one), WATCH_PREFIX (a @WatchServices handler,
 * so a watch is open during the start), FAIL_BOOTSTRAP=1 (another provider's
 * onApplicationBootstrap throws), CONTEXT=1 (an application context, no HTTP).
 * Starts the way docs/nest.md does and, as applications do, logs a failed start and sets
 * process.exitCode instead of exiting: the process must then end by itself. Prints "listening"
 * or "started" once up, and "start failed: <error name>" on a failed start.
 */
import 'reflect-metadata';
import { Injectable, Module, OnApplicationBootstrap } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EtcdRegistryModule, ServiceMap, WatchServices } from '../../lib';

const env = process.env;

@Injectable()
class Watcher {
  @WatchServices(env.WATCH_PREFIX ?? '/unused/')
  onServices(map: ServiceMap) {
    process.stdout.write(`map ${Object.keys(map).length}\n`);
  }
}

@Injectable()
class FailingBootstrap implements OnApplicationBootstrap {
  onApplicationBootstrap(): void {
    throw new Error('bootstrap of another provider failed');
  }
}

@Module({
  imports: [
    EtcdRegistryModule.forRoot({
      endpoints: (env.ETCD_ENDPOINTS ?? '').split(','),
      ttlSeconds: 2,
      timeoutMs: 2000,
      service: { name: 'app', id: env.SERVICE_ID, address: `127.0.0.1:${env.PORT}`, prefix: env.PREFIX },
    }),
  ],
  providers: [...(env.WATCH_PREFIX ? [Watcher] : []), ...(env.FAIL_BOOTSTRAP ? [FailingBootstrap] : [])],
})
class AppModule {}

async function bootstrap(): Promise<void> {
  if (env.CONTEXT) {
    const context = await NestFactory.createApplicationContext(AppModule, { logger: ['error'] });
    context.enableShutdownHooks();
    process.stdout.write('started\n');
    return;
  }
  const app = await NestFactory.create(AppModule, { logger: ['error'] });
  app.enableShutdownHooks();
  await app.listen(Number(env.PORT), '127.0.0.1');
  process.stdout.write('listening\n');
}

bootstrap().catch((error: unknown) => {
  process.stdout.write(`start failed: ${error instanceof Error ? error.name : String(error)}\n`);
  process.exitCode = 1;
});
