/**
 * A child process for the gRPC tests: a grpc-js Greeter server (test/support/greeter.ts) answering
 * as SERVICE_ID, registered on ETCD_ENDPOINTS under REGISTER_PATH with our JSON value and a
 * `grpc://` endpoint (lease TTL_SECONDS). Prints "ready {id} {port}" and waits to be killed.
 */
import { createRegistry, encodeRegistration } from '../../lib/core';
import { startGreeter } from './greeter';

async function main(): Promise<void> {
  const id = process.env.SERVICE_ID!;
  const greeter = await startGreeter(id);
  const registry = createRegistry({
    endpoints: (process.env.ETCD_ENDPOINTS ?? '').split(','),
    ttlSeconds: Number(process.env.TTL_SECONDS ?? 2),
  });
  const { path, value } = encodeRegistration({
    prefix: process.env.PREFIX!,
    name: 'greeter',
    id,
    address: greeter.address,
    codec: 'json',
    endpoints: [`grpc://${greeter.address}`],
  });
  await registry.register(path, value);
  process.stdout.write(`ready ${id} ${greeter.port}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
