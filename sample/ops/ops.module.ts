import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
// In an application: from 'nestjs-etcd-registry/terminus' and 'nestjs-etcd-registry/prometheus'
import { EtcdRegistryHealthIndicator } from '../../lib/terminus';
import { EtcdRegistryPrometheusModule } from '../../lib/prometheus';
import { OpsController } from './ops.controller';

/** /health, /health/live and /metrics (needs EtcdRegistryModule with isGlobal: true). */
@Module({
  imports: [TerminusModule, EtcdRegistryPrometheusModule.forRoot({ instances: [{ prefix: '/services/', codec: 'json' }] })],
  controllers: [OpsController],
  providers: [EtcdRegistryHealthIndicator],
})
export class OpsModule {}
