/**
 * The one server of the overhead figure, in its own process (forked with bench/ts-hook.js): a Nest
 * hybrid app answering `GET /users/:id` over HTTP and `get-user` over its TCP transport, and a
 * grpc-js Greeter, registered in etcd by app.listen() as one instance of `user-service` with the
 * json codec and three endpoints (`http://`, `tcp://`, `grpc://`). Env: ETCD_ENDPOINTS, PREFIX.
 * Sends `{ event: 'ready', http, tcp, grpc }` (the fixed addresses) over IPC once registered.
 */
import 'reflect-metadata';
import { Controller, Get, Module, Param } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MessagePattern, Payload, Transport } from '@nestjs/microservices';
import { EtcdRegistryModule } from '../lib';
import { freePort } from '../test/support/free-port';
import { startGreeter } from '../test/support/greeter';

@Controller()
class UsersController {
  @Get('users/:id')
  find(@Param('id') id: string) {
    return { id, servedBy: 'u1' };
  }

  @MessagePattern('get-user')
  getUser(@Payload() data: { id: string }) {
    return { id: data.id, servedBy: 'u1' };
  }
}

async function main(): Promise<void> {
  const [port, tcpPort] = [await freePort(), await freePort()];
  const greeter = await startGreeter('u1');
  @Module({
    imports: [
      EtcdRegistryModule.forRoot({
        endpoints: (process.env.ETCD_ENDPOINTS ?? '').split(','),
        ttlSeconds: 5,
        service: {
          name: 'user-service',
          id: 'u1',
          prefix: process.env.PREFIX,
          address: `127.0.0.1:${port}`,
          codec: 'json',
          endpoints: [`http://127.0.0.1:${port}`, `tcp://127.0.0.1:${tcpPort}`, `grpc://${greeter.address}`],
        },
      }),
    ],
    controllers: [UsersController],
  })
  class ServerModule {}

  const app = await NestFactory.create(ServerModule, { logger: ['error'] });
  app.connectMicroservice({ transport: Transport.TCP, options: { host: '127.0.0.1', port: tcpPort } });
  await app.startAllMicroservices();
  await app.listen(port, '127.0.0.1');
  process.send?.({ event: 'ready', http: `http://127.0.0.1:${port}`, tcp: { host: '127.0.0.1', port: tcpPort }, grpc: greeter.address });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
