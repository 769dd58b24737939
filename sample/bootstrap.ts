import { INestApplication, Logger, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport } from '@nestjs/microservices';
import { RegistryService } from '../lib';

/**
 * Listen first, then announce the instance explicitly (autoRegister: false), so the fleet can log
 * the key. With autoRegister: true, app.listen() itself registers once the port is bound.
 */
export async function bootstrap(module: Type<unknown>): Promise<INestApplication> {
  const app = await NestFactory.create(module, { logger: ['log', 'warn', 'error'] });
  // SIGTERM/SIGINT run app.close(): the key is deleted at once instead of expiring after the TTL.
  app.enableShutdownHooks();
  if (process.env.TCP_PORT) {
    // A hybrid app: the same controllers answer @MessagePattern calls on the TCP port.
    app.connectMicroservice({ transport: Transport.TCP, options: { host: '127.0.0.1', port: Number(process.env.TCP_PORT) } });
    await app.startAllMicroservices();
  }
  await app.listen(Number(process.env.PORT), '127.0.0.1');
  const registry = app.get(RegistryService);
  await registry.registerService();
  new Logger('Fleet').log(`listening on 127.0.0.1:${process.env.PORT}, registered as ${registry.serviceKey}`);
  return app;
}
