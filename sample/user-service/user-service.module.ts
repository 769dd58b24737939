import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { EtcdRegistryModule } from '../../lib';
import { OpsModule } from '../ops/ops.module';
import { registryOptions } from '../registry-options';
import { UsersController } from './users.controller';

@Module({
  imports: [
    ConfigModule.forRoot({ ignoreEnvFile: true }),
    EtcdRegistryModule.forRootAsync({
      isGlobal: true,
      imports: [ConfigModule],
      inject: [ConfigService],
      useFactory: registryOptions('user-service'),
    }),
    OpsModule,
  ],
  controllers: [UsersController],
})
export class UserServiceModule {}
