import 'reflect-metadata';
import { bootstrap } from '../bootstrap';
import { GatewayModule } from './gateway.module';

bootstrap(GatewayModule).catch((e) => {
  process.stderr.write(`gateway failed to start: ${e instanceof Error ? e.stack : e}\n`);
  process.exit(1);
});
