import { Controller, Get, Header } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { register } from 'prom-client';
// In an application: from 'nestjs-etcd-registry/terminus'
import { EtcdRegistryHealthIndicator } from '../../lib/terminus';

/**
 * Operations endpoints of every app of the fleet: readiness (the registry's health: etcd reachable,
 * lease held, instance registered and not draining, watches live), liveness (the process answers:
 * never restart a pod because etcd is down), and the Prometheus metrics.
 */
@Controller()
export class OpsController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly registry: EtcdRegistryHealthIndicator,
  ) {}

  @Get('health')
  @HealthCheck()
  ready() {
    return this.health.check([() => this.registry.isHealthy('etcd-registry')]);
  }

  @Get('health/live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  @Get('metrics')
  @Header('Content-Type', register.contentType)
  metrics(): Promise<string> {
    return register.metrics();
  }
}
