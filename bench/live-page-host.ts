/**
 * The host application of the live-page figure, in its own process (forked with bench/ts-hook.js):
 * a Nest HTTP app with EtcdRegistryModule and the live page (EtcdRegistryDashboardModule at
 * /registry, watching PREFIX) and its own `GET /ping`, the request whose latency the figure measures.
 * Env: ETCD_ENDPOINTS, PREFIX. Sends `{ event: 'ready', port }` over IPC once listening.
 */
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EtcdRegistryModule } from '../lib';
import { EtcdRegistryDashboardModule } from '../lib/dashboard';

@Controller('ping')
class PingController {
  @Get()
  ping() {
    return { ok: true, at: Date.now() };
  }
}

async function main(): Promise<void> {
  @Module({
    imports: [
      EtcdRegistryModule.forRoot({ endpoints: (process.env.ETCD_ENDPOINTS ?? '').split(','), isGlobal: true }),
      EtcdRegistryDashboardModule.forRoot({ path: '/registry', prefix: process.env.PREFIX }),
    ],
    controllers: [PingController],
  })
  class HostModule {}
  const app = await NestFactory.create(HostModule, { logger: ['error'] });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  process.send?.({ event: 'ready', port: address.port });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
