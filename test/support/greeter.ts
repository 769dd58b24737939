import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { join } from 'path';

/** test/support/greeter.proto: helloworld.Greeter/SayHello. */
export const GREETER_PROTO = join(__dirname, 'greeter.proto');

interface HelloReply {
  message: string;
}
export interface GreeterClient extends grpc.Client {
  sayHello(
    request: { name: string },
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, reply?: HelloReply) => void,
  ): void;
}
interface GreeterConstructor {
  new (address: string, credentials: grpc.ChannelCredentials, options?: Partial<grpc.ChannelOptions>): GreeterClient;
  service: grpc.ServiceDefinition;
}

const definition = grpc.loadPackageDefinition(loadSync(GREETER_PROTO, { keepCase: false }));
export const Greeter = (definition.helloworld as grpc.GrpcObject).Greeter as unknown as GreeterConstructor;

/** A grpc-js Greeter server on 127.0.0.1 answering "hello {name} from {id}"; counts its calls. */
export async function startGreeter(
  id: string,
): Promise<{ id: string; address: string; port: number; calls: () => number; stop(): Promise<void> }> {
  const server = new grpc.Server();
  let calls = 0;
  server.addService(Greeter.service, {
    sayHello: (call: grpc.ServerUnaryCall<{ name: string }, HelloReply>, callback: grpc.sendUnaryData<HelloReply>) => {
      calls++;
      callback(null, { message: `hello ${call.request.name} from ${id}` });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  return {
    id,
    port,
    address: `127.0.0.1:${port}`,
    calls: () => calls,
    stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}

/** One SayHello; resolves with who answered (the reply's "from {id}"). */
export function sayHello(client: GreeterClient, name: string, options: grpc.CallOptions = {}): Promise<string> {
  return new Promise((resolve, reject) =>
    client.sayHello({ name }, { deadline: Date.now() + 5000, ...options }, (error, reply) =>
      error ? reject(error) : resolve(reply!.message.replace(/^hello .* from /, '')),
    ),
  );
}
