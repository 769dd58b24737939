import { INestApplication } from '@nestjs/common';
import { EtcdRegistryModule, InstanceMap, ServiceMap, watchInstances } from '../../lib';
import { GoProcess, GoProgram, buildGoPrograms, goToolchain, runGo } from '../support/go-programs';
import { withEtcd, uniquePrefix } from '../support/registry-fixtures';
import { withNestApps } from '../support/nest-app';
import { waitFor } from '../support/wait-for';

const go = goToolchain();
const describeGo = go ? describe : describe.skip;

/** Interop with real Go programs built on etcd's Go client (clientv3 3.4, Debian's sources). */
describeGo('interop with Go programs (etcd clientv3)', () => {
  const t = withEtcd('shared');
  let bin: Record<GoProgram, string>;
  const processes: GoProcess[] = [];
  const apps = withNestApps();

  beforeAll(async () => {
    const { paths, buildMs } = await buildGoPrograms(go!);
    bin = paths;
    process.stdout.write(`Go programs ${buildMs ? `built in ${buildMs} ms` : 'reused (already built for these sources)'}\n`);
  }, 300_000);

  afterEach(async () => {
    await Promise.all(processes.splice(0).map((p) => p.stop()));
  });

  const endpoints = () => t.etcd.endpoints.join(',');
  const registrar = (args: string[]) => {
    const p = new GoProcess(bin.registrar, ['-endpoints', endpoints(), '-ttl', '5', ...args]);
    processes.push(p);
    return p;
  };
  const read = <T>(args: string[]) => runGo<T>(bin.reader, ['-endpoints', endpoints(), ...args]);

  const nestApp = (service: Record<string, unknown>): Promise<INestApplication> =>
    apps.start({ imports: [EtcdRegistryModule.forRoot({ endpoints: t.etcd.endpoints, service: service as never })] });

  it('a Go program registering like etcdService (plain host:port under a lease) is an instance to us, and leaves when it stops', async () => {
    const prefix = uniquePrefix('go');
    const goService = registrar(['-layout', 'etcd-service', '-key', `${prefix}billing/go-1`, '-addr', '10.1.2.3:7000']);
    const { lease } = await goService.ready();
    const registry = await t.pool.create(t.etcd.endpoints);
    const seen: InstanceMap[] = [];
    await watchInstances(registry, prefix, (m) => void seen.push(m));
    expect(seen[0].get('billing')).toEqual([
      expect.objectContaining({ id: 'go-1', address: '10.1.2.3:7000', key: `${prefix}billing/go-1`, codec: 'etcd-service' }),
    ]);
    const kv = (await t.client.get(`${prefix}billing/go-1`).exec()).kvs[0];
    expect(kv.lease).toBe(lease); // under the Go program's lease: a real registration, not a fixture

    expect(await goService.stop()).toBe(0); // revokes its lease
    await waitFor(() => !seen[seen.length - 1].has('billing'), { message: 'the Go instance gone after its lease was revoked' });
  });

  it("a Go program registering through etcd's gRPC naming (endpoints manager) is read by the grpc-naming codec", async () => {
    const prefix = uniquePrefix('go');
    const goService = registrar([
      '-layout',
      'grpc-naming',
      '-target',
      `${prefix}greeter`,
      '-addr',
      '10.1.2.4:5000',
      '-metadata',
      '{"zone":"z9","weight":3}',
    ]);
    await goService.ready();
    const registry = await t.pool.create(t.etcd.endpoints);
    const seen: InstanceMap[] = [];
    await watchInstances(registry, prefix, (m) => void seen.push(m), { codec: 'grpc-naming' });
    expect(seen[0].get('greeter')).toEqual([
      expect.objectContaining({
        id: '10.1.2.4:5000',
        address: '10.1.2.4:5000',
        zone: 'z9',
        weight: 3,
        metadata: { zone: 'z9', weight: '3' },
      }),
    ]);
  });

  it('a Nest service registered plain (the default) is what a Go etcdService watcher reads: key -> host:port', async () => {
    const prefix = uniquePrefix('go');
    await nestApp({ name: 'users', id: 'nest-1', address: '127.0.0.1:3005', prefix });
    const { services } = await read<{ services: ServiceMap }>(['-mode', 'list', '-prefix', prefix]);
    expect(services).toEqual({ [`${prefix}users/nest-1`]: '127.0.0.1:3005' });
  });

  it("a Nest service registered with codec grpc-naming is found by etcd's Go gRPC resolver, beside a Go-registered one", async () => {
    const prefix = uniquePrefix('go');
    const target = `${prefix}greeter`;
    await nestApp({ name: 'greeter', address: '127.0.0.1:5005', prefix, codec: 'grpc-naming', metadata: { lang: 'ts' } });
    await registrar(['-layout', 'grpc-naming', '-target', target, '-addr', '10.1.2.5:5000']).ready();

    // Decoded by the naming package's own code (Manager.List)...
    const { endpoints: listed } = await read<{ endpoints: Record<string, { Addr: string; Metadata: unknown }> }>([
      '-mode',
      'naming-list',
      '-target',
      target,
    ]);
    expect(listed[`${target}/127.0.0.1:5005`]).toEqual({ Addr: '127.0.0.1:5005', Metadata: { lang: 'ts' } });

    // ...and resolved by the resolver grpc.Dial("etcd:///" + target) uses: both addresses reach gRPC.
    const resolved = await read<{ addresses: { addr: string; metadata: unknown }[]; timedOut?: boolean }>([
      '-mode',
      'resolve',
      '-target',
      target,
      '-want',
      '2',
    ]);
    expect(resolved.timedOut).toBeUndefined();
    expect(resolved.addresses).toEqual([
      { addr: '10.1.2.5:5000', metadata: null },
      { addr: '127.0.0.1:5005', metadata: { lang: 'ts' } },
    ]);
  });
});
