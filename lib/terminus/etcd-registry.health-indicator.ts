import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { HealthIndicatorResult } from '@nestjs/terminus';
import { RegistryClosedError, RegistryUnavailableError } from '../core';
import { RegistryService } from '../service/registry.service';
import { checkRegistryHealth, RegistryHealthCheck, RegistryHealthDetails } from './registry-health';

/** The reachability probe's budget when `timeoutMs` is not given. */
export const DEFAULT_PROBE_TIMEOUT_MS = 500;

export interface EtcdRegistryHealthOptions {
  /** What makes the indicator down; default all four. */
  checks?: readonly RegistryHealthCheck[] | undefined;
  /**
   * Budget of the reachability probe, ms. Default 500: a hung member costs one short attempt
   * (a third of it) and the probe answers well within a Kubernetes probe's default 1 s timeout.
   */
  timeoutMs?: number | undefined;
}

/**
 * A @nestjs/terminus indicator of the registry: down when etcd is unreachable, the lease is lost,
 * this instance's registration is missing (not yet registered, being restored, in conflict, or
 * draining), or a watch is not live; the details say which.
 *
 * ```ts
 * @Get('ready') @HealthCheck()
 * ready() { return this.health.check([() => this.etcd.isHealthy('etcd-registry')]); }
 * ```
 */
@Injectable()
export class EtcdRegistryHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly service: RegistryService,
  ) {}

  async isHealthy<const Key extends string = 'etcd-registry'>(
    key: Key = 'etcd-registry' as Key,
    options: EtcdRegistryHealthOptions = {},
  ): Promise<HealthIndicatorResult<Key>> {
    const indicator = this.indicators.check(key);
    const details: RegistryHealthDetails = await checkRegistryHealth(
      {
        status: this.service.status(),
        serviceKey: this.service.serviceKey,
        expectRegistration: this.service.serviceKey !== undefined,
        draining: this.service.draining,
        probe: () => this.probe(options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS),
      },
      options.checks,
    );
    const { healthy, ...data } = details;
    return healthy ? indicator.up(data) : indicator.down(data);
  }

  /** undefined when etcd answered (an auth refusal is an answer too), else why not. */
  private async probe(timeoutMs: number): Promise<string | undefined> {
    try {
      await this.service.ping(timeoutMs);
      return undefined;
    } catch (error) {
      if (error instanceof RegistryUnavailableError) return error.message;
      if (error instanceof RegistryClosedError) return error.message;
      return undefined;
    }
  }
}
