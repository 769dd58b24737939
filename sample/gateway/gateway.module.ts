import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Transport } from '@nestjs/microservices';
import { EtcdRegistryModule } from '../../lib';
// In an application: from 'nestjs-etcd-registry/axios' and 'nestjs-etcd-registry/microservices'
import { RegistryHttpModule } from '../../lib/axios';
import { RegistryClientsModule } from '../../lib/microservices';
// In an application: import { EtcdRegistryDashboardModule } from 'nestjs-etcd-registry/dashboard';
import { EtcdRegistryDashboardModule } from '../../lib/dashboard';
import { OpsModule } from '../ops/ops.module';
import { registryOptions } from '../registry-options';
import { GatewayController, USERS_CLIENT } from './gateway.controller';
import { UserServicePool } from './user-service-pool';

@Module({
  imports: [
    ConfigModule.forRoot({ ignoreEnvFile: true }),
    EtcdRegistryModule.forRootAsync({
      isGlobal: true, // the client modules use its RegistryService
      imports: [ConfigModule],
      inject: [ConfigService],
      useFactory: registryOptions('gateway'),
    }),
    // http://user-service/... goes to a live instance; json reads our values (and plain host:port).
    RegistryHttpModule.forRoot({ codec: 'json' }),
    // ClientProxy 'USERS': send/emit to a live instance's tcp:// endpoint. get-user is a read: safe to send again.
    RegistryClientsModule.forRoot({
      clients: [{ name: USERS_CLIENT, service: 'user-service', transport: Transport.TCP, codec: 'json', retry: { idempotent: true } }],
    }),
    // The live registry page: GET /registry on the gateway's port (read-only).
    EtcdRegistryDashboardModule.forRoot({ path: '/registry', prefix: '/services/' }),
    OpsModule,
  ],
  controllers: [GatewayController],
  providers: [UserServicePool],
})
export class GatewayModule {}
