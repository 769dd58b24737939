import 'reflect-metadata';
import { bootstrap } from '../bootstrap';
import { UserServiceModule } from './user-service.module';

bootstrap(UserServiceModule).catch((e) => {
  process.stderr.write(`user-service failed to start: ${e instanceof Error ? e.stack : e}\n`);
  process.exit(1);
});
