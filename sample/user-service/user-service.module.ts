import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { EtcdRegistryModule } from '../../lib';
import { registryOptions } from '../registry-options';
import { UsersController } from './users.controller';

@Module({
  imports: [
    ConfigModule.forRoot({ ignoreEnvFile: true }),
    EtcdRegistryModule.forRootAsync({
      imports: [ConfigModule],
      inject: [ConfigService],
      useFactory: registryOptions('user-service'),
    }),
  ],
  controllers: [UsersController],
})
export class UserServiceModule {}
