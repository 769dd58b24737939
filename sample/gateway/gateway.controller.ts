import { Controller, Get, Inject, Param } from '@nestjs/common';
import { firstValueFrom } from 'rxjs';
// In an application: from 'nestjs-etcd-registry/axios'
import { RegistryHttpService } from '../../lib/axios';
import { RegistryClientProxy } from '../../lib/microservices';
import { UserServicePool } from './user-service-pool';

export const USERS_CLIENT = 'USERS';

@Controller()
export class GatewayController {
  constructor(
    private readonly pool: UserServicePool,
    private readonly http: RegistryHttpService,
    @Inject(USERS_CLIENT) private readonly users: RegistryClientProxy, // a ClientProxy
  ) {}

  /** The gateway's view of the fleet (what the @WatchServices handler last received): key -> address. */
  @Get('services')
  services() {
    return this.pool.map;
  }

  /**
   * Over HTTP, by service name: a picked live user-service instance answers. A crashed instance
   * (still in etcd until its lease expires) refuses the connection: the call goes to another
   * instance, and after 3 failures in a row the instance is ejected for a while.
   */
  @Get('users/:id')
  async user(@Param('id') id: string) {
    const res = await firstValueFrom(this.http.get(`http://user-service/users/${encodeURIComponent(id)}`, { timeout: 2000 }));
    return res.data;
  }

  /** Over the user-service's TCP microservice port, by service name (RegistryClientsModule). */
  @Get('rpc/users/:id')
  rpcUser(@Param('id') id: string) {
    return firstValueFrom(this.users.send('get-user', { id }));
  }

  /** Ejections and calls in flight, per service, for each client. */
  @Get('clients')
  clients() {
    return { http: this.http.status(), users: this.users.balancerStatus() };
  }
}
