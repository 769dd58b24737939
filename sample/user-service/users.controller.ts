import { Controller, Get, Param } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { RegistryService } from '../../lib';

@Controller('users')
export class UsersController {
  constructor(private readonly registry: RegistryService) {}

  /** Says which instance answered, so the fleet runner sees the round robin and the failover. */
  @Get(':id')
  find(@Param('id') id: string) {
    return { id, name: `user ${id}`, servedBy: this.registry.service?.id };
  }

  /** The same over the TCP microservice port (the gateway's RegistryClientsModule client). */
  @MessagePattern('get-user')
  get(@Payload() data: { id: string }) {
    return { id: data.id, name: `user ${data.id}`, servedBy: this.registry.service?.id };
  }
}
