import { Injectable } from '@nestjs/common';
import { monotonicNow, withTimeout } from '../core/deadline';

/**
 * What RegistryService and the lifecycle (lib/lifecycle: start-up, drain, shutdown) share within one
 * application: whether the configured service is registered, whether a drain has begun, and the
 * one budget of the shutdown.
 */
@Injectable()
export class RegistryServiceState {
  /** The configured service's key is in etcd (registerService() succeeded, no unregisterService() since). */
  registered = false;
  /** RegistryService.close() was called (the application shuts down, or its start failed). */
  closed = false;
  /** A graceful drain has begun (shutdown with drainMs): a readiness check is then down. */
  draining = false;
  /** monotonicNow() by which the whole shutdown (drain, unregister, close) ends; set when it starts. */
  private shutdownDeadline?: number;

  /** Starts the shutdown's budget (the first call wins: the hooks of one shutdown share it). */
  startShutdownClock(budgetMs: number): void {
    this.shutdownDeadline ??= monotonicNow() + budgetMs;
  }

  /** `work` bounded by what is left of the shutdown budget; unbounded before the shutdown starts. */
  withinShutdownBudget<T>(work: Promise<T>): Promise<T> {
    if (this.shutdownDeadline === undefined) return work;
    return withTimeout(work, Math.max(0, this.shutdownDeadline - monotonicNow()));
  }
}
