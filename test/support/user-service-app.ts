/**
 * A user-service-like Nest application in a child process, for the client tests: HTTP
 * (`GET /users/:id`, `POST /users`) and a TCP microservice (`get-user`, event `user-seen`) in one
 * hybrid app, registered in etcd by app.listen() with the json codec and both endpoints
 * (`http://127.0.0.1:PORT`, `tcp://127.0.0.1:TCP_PORT`). Env: ETCD_ENDPOINTS, PREFIX, SERVICE_ID,
 * PORT, TCP_PORT, NAME (default user-service), DELAY_MS (added to each answer), HTTP_STATUS (every
 * `GET /users/:id` answers this error status at once), RPC_FAIL (every `get-user` throws: Nest answers
 * "Internal server error"), DRAIN_MS (the registry's drainMs), LOG_CALLS (prints "handled <id>" for each
 * `get-user`). Prints "ready <id>" once registered; counts events and prints "seen <n>".
 */
import 'reflect-metadata';
import { Body, Controller, Get, HttpException, Module, Param, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventPattern, MessagePattern, Payload, Transport } from '@nestjs/microservices';
import { EtcdRegistryModule } from '../../lib';

const env = process.env;
const id = env.SERVICE_ID ?? 'u1';
const delay = () => new Promise((r) => setTimeout(r, Number(env.DELAY_MS ?? 0)));

@Controller()
class UsersController {
  private seen = 0;

  @Get('users/:id')
  async find(@Param('id') userId: string) {
    if (env.HTTP_STATUS) throw new HttpException(`unavailable ${id}`, Number(env.HTTP_STATUS));
    await delay();
    return { id: userId, servedBy: id };
  }

  @Post('users')
  async create(@Body() body: { name: string }) {
    await delay();
    return { name: body.name, servedBy: id };
  }

  @MessagePattern('get-user')
  async getUser(@Payload() data: { id: string }) {
    if (env.RPC_FAIL) throw new Error(`broken ${id}`);
    if (env.LOG_CALLS) process.stdout.write(`handled ${data.id}\n`);
    await delay();
    return { id: data.id, servedBy: id };
  }

  @EventPattern('user-seen')
  userSeen(): void {
    this.seen++;
    process.stdout.write(`seen ${this.seen}\n`);
  }
}

@Module({
  imports: [
    EtcdRegistryModule.forRoot({
      endpoints: (env.ETCD_ENDPOINTS ?? '').split(','),
      ttlSeconds: 2,
      timeoutMs: 3000,
      drainMs: Number(env.DRAIN_MS ?? 0),
      service: {
        name: env.NAME ?? 'user-service',
        id,
        prefix: env.PREFIX,
        address: `127.0.0.1:${env.PORT}`,
        codec: 'json',
        endpoints: [`http://127.0.0.1:${env.PORT}`, `tcp://127.0.0.1:${env.TCP_PORT}`],
      },
    }),
  ],
  controllers: [UsersController],
})
class UserServiceModule {}

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(UserServiceModule, { logger: ['error'] });
  app.connectMicroservice({ transport: Transport.TCP, options: { host: '127.0.0.1', port: Number(env.TCP_PORT) } });
  app.enableShutdownHooks();
  await app.startAllMicroservices();
  await app.listen(Number(env.PORT), '127.0.0.1');
  process.stdout.write(`ready ${id}\n`);
}

bootstrap().catch((error: unknown) => {
  process.stdout.write(`start failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
