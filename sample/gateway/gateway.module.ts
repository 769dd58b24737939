import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { EtcdRegistryModule } from '../../lib';
// In an application: import { EtcdRegistryDashboardModule } from 'nestjs-etcd-registry/dashboard';
import { EtcdRegistryDashboardModule } from '../../lib/dashboard';
import { registryOptions } from '../registry-options';
import { GatewayController } from './gateway.controller';
import { UserServicePool } from './user-service-pool';

@Module({
  imports: [
    ConfigModule.forRoot({ ignoreEnvFile: true }),
    EtcdRegistryModule.forRootAsync({
      imports: [ConfigModule],
      inject: [ConfigService],
      useFactory: registryOptions('gateway'),
    }),
    // The live registry page: GET /registry on the gateway's port (read-only).
    EtcdRegistryDashboardModule.forRoot({ path: '/registry', prefix: '/services/' }),
  ],
  controllers: [GatewayController],
  providers: [UserServicePool],
})
export class GatewayModule {}
