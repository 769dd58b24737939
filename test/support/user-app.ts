import { Controller, Get, INestApplication, Module, Param } from '@nestjs/common';
import { EtcdRegistryModule, EtcdRegistryModuleOptions, RegistryService } from '../../lib';
import { freePort } from './free-port';
import { NestApps } from './nest-app';

/** How long each request of a test user app takes: long enough to be in flight when a shutdown starts. */
export const USER_APP_REQUEST_MS = 30;

/**
 * Starts a small HTTP user-service on a free loopback port: `GET /users/:id` answers after
 * USER_APP_REQUEST_MS with the instance id. It registers in listen() as `${prefix}users/${id}`,
 * with `extra` registry options (drainMs, codec, ...). Closed after the test by `apps`.
 */
export async function startUserApp(
  apps: NestApps,
  endpoints: string[],
  prefix: string,
  id: string,
  extra: Partial<EtcdRegistryModuleOptions> & { codec?: 'json' } = {},
): Promise<{ app: INestApplication; port: number; key: string }> {
  const port = await freePort();
  const { codec, ...options } = extra;
  @Controller('users')
  class UsersController {
    constructor(private readonly registry: RegistryService) {}
    @Get(':id')
    async find(@Param('id') user: string) {
      await new Promise((r) => setTimeout(r, USER_APP_REQUEST_MS));
      return { user, servedBy: this.registry.service?.id };
    }
  }
  @Module({
    imports: [
      EtcdRegistryModule.forRoot({
        endpoints,
        ttlSeconds: 3,
        timeoutMs: 2000,
        ...options,
        service: { name: 'users', id, address: `127.0.0.1:${port}`, prefix, ...(codec ? { codec } : {}) },
      }),
    ],
    controllers: [UsersController],
  })
  class UserAppModule {}
  const app = await apps.create({ imports: [UserAppModule] });
  await app.listen(port, '127.0.0.1');
  return { app, port, key: `${prefix}users/${id}` };
}
