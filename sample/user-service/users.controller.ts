import { Controller, Get, Param } from '@nestjs/common';
import { RegistryService } from '../../lib';

@Controller('users')
export class UsersController {
  constructor(private readonly registry: RegistryService) {}

  /** Says which instance answered, so the fleet runner sees the round robin and the failover. */
  @Get(':id')
  find(@Param('id') id: string) {
    return { id, name: `user ${id}`, servedBy: this.registry.service?.id };
  }
}
