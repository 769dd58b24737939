import { BadGatewayException, Controller, Get, Logger, Param, ServiceUnavailableException } from '@nestjs/common';
import { UserServicePool } from './user-service-pool';

@Controller()
export class GatewayController {
  private readonly logger = new Logger('Gateway');

  constructor(private readonly pool: UserServicePool) {}

  /** The gateway's view of the fleet (what the @WatchServices handler last received): key -> address. */
  @Get('services')
  services() {
    return this.pool.map;
  }

  /**
   * Forwards to a user-service instance, round robin. An instance that crashed stays in the map
   * until its lease expires: a refused connection moves on to the next instance, and the
   * instance is tried last until the map changes.
   */
  @Get('users/:id')
  async user(@Param('id') id: string) {
    const candidates = this.pool.roundRobin();
    if (candidates.length === 0) throw new ServiceUnavailableException('no user-service instance is registered');
    for (const instance of candidates) {
      try {
        const res = await fetch(`http://${instance.address}/users/${encodeURIComponent(id)}`, { signal: AbortSignal.timeout(1000) });
        if (res.ok) return await res.json();
        if (this.pool.suspect(instance)) this.logger.warn(`${instance.key} answered ${res.status}: trying the next instance`);
      } catch (e) {
        if (this.pool.suspect(instance)) {
          const reason = e instanceof Error ? e.message : String(e);
          this.logger.warn(`${instance.key} at ${instance.address} did not answer (${reason}): tried last until the map changes`);
        }
      }
    }
    throw new BadGatewayException('no user-service instance answered');
  }
}
