import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { EtcdRegistryModule } from '../../lib';
import { OpsModule } from '../ops/ops.module';
import { registryOptions } from '../registry-options';
import { GatewayController } from './gateway.controller';
import { UserServicePool } from './user-service-pool';

@Module({
  imports: [
    ConfigModule.forRoot({ ignoreEnvFile: true }),
    EtcdRegistryModule.forRootAsync({
      isGlobal: true,
      imports: [ConfigModule],
      inject: [ConfigService],
      useFactory: registryOptions('gateway'),
    }),
    OpsModule,
  ],
  controllers: [GatewayController],
  providers: [UserServicePool],
})
export class GatewayModule {}
