import { Controller, INestApplication } from '@nestjs/common';
import { ClientGrpc, ClientsModule, GrpcMethod, Transport } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { firstValueFrom, Observable } from 'rxjs';
import { EtcdRegistryModule } from '../../lib';
import type { InstanceCodecName } from '../../lib/core';
import { RegistryGrpcModule } from '../../lib/grpc';
import { freePort } from '../support/free-port';
import { GoProcess, GoProgram, buildGoPrograms, goToolchain, runGo } from '../support/go-programs';
import { GREETER_PROTO } from '../support/greeter';
import { withNestApps } from '../support/nest-app';
import { uniquePrefix, withEtcd } from '../support/registry-fixtures';

const go = goToolchain();
const describeGo = go ? describe : describe.skip;

jest.setTimeout(60_000);

@Controller()
class GreeterController {
  static id = 'nest';
  @GrpcMethod('Greeter', 'SayHello')
  sayHello({ name }: { name: string }): { message: string } {
    return { message: `hello ${name} from ${GreeterController.id}` };
  }
}

/** gRPC interop with real Go gRPC (Debian's grpc-go 1.33 and etcd's clientv3 3.4 naming resolver, built offline). */
describeGo('gRPC interop with Go (grpc-go, etcd naming resolver)', () => {
  const t = withEtcd('shared');
  const apps = withNestApps();
  let bin: Record<GoProgram, string>;
  const processes: GoProcess[] = [];
  const servers: INestApplication[] = [];

  beforeAll(async () => {
    bin = (await buildGoPrograms(go!)).paths;
  }, 300_000);
  afterEach(async () => {
    await Promise.all(processes.splice(0).map((p) => p.stop()));
    await Promise.all(servers.splice(0).map((app) => app.close()));
  });

  const endpoints = () => t.etcd.endpoints.join(',');

  /** A Nest gRPC server (Transport.GRPC) registered with the grpc-naming codec. */
  async function nestGrpcServer(id: string, service: Record<string, unknown>): Promise<string> {
    const address = `127.0.0.1:${await freePort()}`;
    GreeterController.id = id;
    const moduleRef = await Test.createTestingModule({
      imports: [
        EtcdRegistryModule.forRoot({
          endpoints: t.etcd.endpoints,
          service: { name: 'greeter', address, codec: 'grpc-naming', ...service },
        }),
      ],
      controllers: [GreeterController],
    }).compile();
    const app = moduleRef.createNestApplication();
    servers.push(app);
    app.connectMicroservice({ transport: Transport.GRPC, options: { package: 'helloworld', protoPath: GREETER_PROTO, url: address } });
    await app.startAllMicroservices();
    await app.listen(0, '127.0.0.1'); // an HTTP application registers once listening
    return address;
  }

  // grpc.WithAuthority('greeter'): grpc-go 1.33 sends the target's endpoint ("foo/bar/greeter") as
  // :authority, and Node's HTTP/2 server refuses a '/' there (see the test below).
  const dial = (target: string, calls = 3, authority = 'greeter') =>
    runGo<{ replies: string[] }>(bin.greeter, [
      '-mode',
      'dial',
      '-endpoints',
      endpoints(),
      '-target',
      target,
      '-calls',
      String(calls),
      ...(authority ? ['-authority', authority] : []),
    ]);

  it.each([
    [
      'service.target "foo/bar/greeter" (no leading "/")',
      (u: string) => ({ target: `${u}/foo/bar/greeter` }),
      (u: string) => `etcd:///${u}/foo/bar/greeter`,
    ],
    ['service.target "greeter" (one segment)', () => ({ target: 'greeter' }), () => 'etcd:///greeter'],
    ['the default target {prefix}{name}', (u: string) => ({ prefix: `/${u}/` }), (u: string) => `etcd:////${u}/greeter`],
  ])(
    "a Go client dialling through etcd's resolver (grpc.Dial's target parsing) calls a Nest gRPC server registered with %s",
    async (_, service, target) => {
      const u = uniquePrefix('gd').slice(1, -1);
      await nestGrpcServer('nest-1', service(u));
      const { replies } = await dial(target(u));
      expect(replies).toEqual(['hello go-0 from nest-1', 'hello go-1 from nest-1', 'hello go-2 from nest-1']);
    },
  );

  it("without grpc.WithAuthority, grpc-go sends a multi-segment target as :authority and Node's HTTP/2 server resets the call", async () => {
    const u = uniquePrefix('gd').slice(1, -1);
    await nestGrpcServer('nest-3', { target: `${u}/greeter` });
    await expect(dial(`etcd:///${u}/greeter`, 1, '')).rejects.toThrow(/PROTOCOL_ERROR/);
    expect((await dial(`etcd:///${u}/greeter`, 1)).replies).toEqual(['hello go-0 from nest-3']);
  });

  it("the docs' old four-slash form (docs/instances.md) is what a leading-slash prefix needs: etcd:///{prefix}{name} with prefix /x/ finds nothing", async () => {
    const u = uniquePrefix('gd').slice(1, -1);
    await nestGrpcServer('nest-2', { prefix: `/${u}/` });
    await expect(
      runGo(bin.greeter, ['-mode', 'dial', '-endpoints', endpoints(), '-target', `etcd:///${u}/greeter`, '-timeout', '2s']),
    ).rejects.toThrow(/call 0 to etcd:\/\/\/.*DeadlineExceeded|deadline exceeded/i);
  });

  it.each([
    ['kratos', (u: string) => ['-layout', 'kratos', '-namespace', `/${u}/microservices`], (u: string) => `/${u}/microservices/`],
    ['go-zero', (u: string) => ['-layout', 'go-zero', '-key', `${u}/greeter`], (u: string) => `${u}/`],
  ] as const)(
    'a Nest gRPC client (ClientGrpc, etcd-registry:///greeter) calls Go gRPC servers registered in %s format',
    async (codec, args, prefix) => {
      const u = uniquePrefix('gz').slice(1, -1);
      for (const id of ['go-a', 'go-b']) {
        const p = new GoProcess(bin.greeter, ['-mode', 'serve', '-endpoints', endpoints(), '-id', id, ...args(u)]);
        processes.push(p);
        await p.ready();
      }
      const scheme = `etcd-go-${codec}`;
      const app = await apps.start({
        imports: [
          EtcdRegistryModule.forRoot({ endpoints: t.etcd.endpoints, isGlobal: true }),
          RegistryGrpcModule.forRoot({ prefix: prefix(u), codec: codec as InstanceCodecName, scheme }),
          ClientsModule.register([
            {
              name: 'GREETER',
              transport: Transport.GRPC,
              options: { url: `${scheme}:///greeter`, package: 'helloworld', protoPath: GREETER_PROTO },
            },
          ]),
        ],
      });
      const greeter = app
        .get<ClientGrpc>('GREETER')
        .getService<{ sayHello(r: { name: string }): Observable<{ message: string }> }>('Greeter');
      const replies = [];
      for (let i = 0; i < 6; i++) replies.push((await firstValueFrom(greeter.sayHello({ name: `n${i}` }))).message);
      // Both Go servers answered (each names its -id), over one channel.
      expect(new Set(replies.map((r) => r.replace(/^hello n\d from /, '')))).toEqual(new Set(['go-a', 'go-b']));
    },
  );
});
