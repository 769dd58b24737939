import { writeFileSync } from 'fs';
import { join } from 'path';
import { createRegistry, Registry } from '../../lib';
import { CliBuild } from '../support/cli-process';
import { enableEtcdAuth } from '../support/etcd-auth';
import { EtcdServer, startEtcd, useEtcd } from '../support/etcd-launcher';
import { freePort } from '../support/free-port';

// The CLI run as a child process (`node dist/cli/main.js`), against real etcd; output and exit codes.
jest.setTimeout(60_000);

let cli: CliBuild;
beforeAll(() => {
  cli = new CliBuild();
});
afterAll(() => cli?.dispose());

const json = (value: object) => JSON.stringify({ v: 1, ...value });

describe('nestjs-etcd-registry CLI against etcd without auth', () => {
  let etcd: EtcdServer;
  let registry: Registry;
  let env: Record<string, string>;
  const prefix = `/cli-${Date.now()}/`;

  beforeAll(async () => {
    etcd = await useEtcd();
    env = { ETCD_ENDPOINTS: etcd.endpoints.join(','), ETCD_PREFIX: prefix };
    registry = createRegistry({ endpoints: etcd.endpoints, ttlSeconds: 30 });
    await registry.register(`${prefix}user-service/u1`, json({ address: '127.0.0.1:3001', version: '1.4.2', zone: 'eu-west-1a' }));
    await registry.register(`${prefix}user-service/u2`, '127.0.0.1:3002');
    await registry.register(`${prefix}billing/b1`, json({ address: '127.0.0.1:4001', version: '\u001b[2J<script>x</script>' }));
    await registry.register(`${prefix}broken/x1`, '{not json');
  });
  afterAll(async () => {
    await registry?.close();
    await etcd?.stop();
  });

  it('ls prints every instance as a table, the unreadable entry on stderr, and exits 0', async () => {
    const r = await cli.run(['ls'], env);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^SERVICE\s+ID\s+ADDRESS\s+STATUS\s+ZONE\s+VERSION\s+WEIGHT\s+REVISION$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 6))).toEqual([
      ['billing', 'b1', '127.0.0.1:4001', 'up', '-', '\\u001b[2J<script>x</script>'],
      ['user-service', 'u1', '127.0.0.1:3001', 'up', 'eu-west-1a', '1.4.2'],
      ['user-service', 'u2', '127.0.0.1:3002', 'up', '-', '-'],
    ]);
    // A value's control characters never reach the terminal raw.
    expect(r.stdout).not.toContain('\u001b');
    expect(r.stderr).toMatch(/1 entry the codec could not read:\n\s+\/cli-\d+\/broken\/x1: the value is not JSON/);
  });

  it('ls --json gives every field, and --codec etcd-service reads only plain values', async () => {
    const r = await cli.run(['ls', '--json'], env);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.instances.map((i: { key: string; codec: string; revision: string }) => [i.key, i.codec, typeof i.revision])).toEqual([
      [`${prefix}billing/b1`, 'json', 'string'],
      [`${prefix}user-service/u1`, 'json', 'string'],
      [`${prefix}user-service/u2`, 'etcd-service', 'string'],
    ]);
    expect(out.skipped).toEqual([{ key: `${prefix}broken/x1`, reason: expect.stringContaining('not JSON') }]);

    const plain = JSON.parse((await cli.run(['ls', '--json', '--codec', 'etcd-service'], env)).stdout);
    expect(plain.instances.map((i: { id: string }) => i.id)).toEqual(['u2']);
    expect(plain.skipped).toHaveLength(3);
  });

  it('get shows a service or one instance with every field; nothing found is exit 1', async () => {
    const service = await cli.run(['get', 'user-service'], env);
    expect(service.code).toBe(0);
    expect(service.stdout).toMatch(/^user-service\/u1\n {2}key {7}\/cli-\d+\/user-service\/u1\n {2}address {3}127\.0\.0\.1:3001\n/);
    expect(service.stdout).toContain('user-service/u2');

    const one = await cli.run(['get', 'user-service/u1', '--json'], env);
    expect(one.code).toBe(0);
    expect(JSON.parse(one.stdout)).toEqual([
      expect.objectContaining({ name: 'user-service', id: 'u1', zone: 'eu-west-1a', version: '1.4.2' }),
    ]);

    const none = await cli.run(['get', 'user-service/u9'], env);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no instance of "user-service/u9"');
  });

  it('ls and get load neither etcd3, protobufjs nor @grpc/grpc-js; watch and doctor load the full client when run', async () => {
    // A --require hook that records, at exit, whether etcd3, protobufjs, @grpc/grpc-js or @grpc/proto-loader was
    // loaded (exit 99 then, naming the module).
    const hook = join(cli.dir, 'forbid-etcd3.js');
    writeFileSync(
      hook,
      `process.on('exit', () => {
        const loaded = Object.keys(require.cache).filter((f) => /[\\\\/]node_modules[\\\\/](etcd3|protobufjs|@grpc[\\\\/](grpc-js|proto-loader))[\\\\/]/.test(f));
        if (loaded.length > 0) { process.stderr.write('loaded: ' + loaded[0] + '\\n'); process.exitCode = 99; }
      });`,
    );
    const hooked = { ...env, NODE_OPTIONS: `--require ${hook}` };
    for (const args of [['ls'], ['ls', '--json'], ['get', 'user-service'], ['get', 'user-service/u9']]) {
      const r = await cli.run(args, hooked);
      expect([args.join(' '), r.code, r.stderr]).toEqual([
        args.join(' '),
        args[1] === 'user-service/u9' ? 1 : 0,
        expect.not.stringContaining('loaded:'),
      ]);
    }
    // The hook does see etcd3 when a command needs it.
    const doctor = await cli.run(['doctor'], hooked);
    expect([doctor.code, doctor.stderr]).toEqual([99, expect.stringMatching(/loaded: .*node_modules\/etcd3\//)]);
  });

  it('flags win over environment variables, and an empty variable counts as unset', async () => {
    const dead = `127.0.0.1:${await freePort()}`;
    const r = await cli.run(['ls', '--endpoints', etcd.endpoints.join(','), '--json'], {
      ...env,
      ETCD_ENDPOINTS: dead,
      ETCD_USERNAME: '',
      ETCD_PASSWORD: '',
    });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).instances).toHaveLength(3);
  });

  it('usage errors exit 2 and name the flag and the variable; --help exits 0', async () => {
    const noEndpoints = await cli.run(['ls'], {});
    expect([noEndpoints.code, noEndpoints.stderr]).toEqual([
      2,
      expect.stringContaining('pass --endpoints host:port[,host:port] or set ETCD_ENDPOINTS'),
    ]);
    const badTtl = await cli.run(['doctor', '--ttl-seconds', '0'], env);
    expect([badTtl.code, badTtl.stderr]).toEqual([2, expect.stringContaining('invalid --ttl-seconds (ETCD_TTL_SECONDS)')]);
    const badCodec = await cli.run(['ls'], { ...env, ETCD_CODEC: 'protobuf' });
    expect([badCodec.code, badCodec.stderr]).toEqual([
      2,
      expect.stringContaining('--codec (ETCD_CODEC) must be one of etcd-service, json'),
    ]);
    const unknown = await cli.run(['list'], env);
    expect([unknown.code, unknown.stderr]).toEqual([2, expect.stringContaining('unknown command "list"')]);
    const onlyUser = await cli.run(['ls'], { ...env, ETCD_USERNAME: 'alice' });
    expect(onlyUser.code).toBe(2);
    const help = await cli.run(['--help'], {});
    expect([help.code, help.stdout]).toEqual([0, expect.stringContaining('Exit codes: 0 ok, 1 a check failed')]);
  });

  it('doctor passes every check on a healthy etcd, and --write writes nothing', async () => {
    const r = await cli.run(['doctor', '--write'], env);
    expect(r.code).toBe(0);
    const outcome = (check: string) =>
      r.stdout
        .split('\n')
        .find((l) => l.includes(check))
        ?.split(/\s+/)[0];
    for (const check of [
      `endpoint ${etcd.endpoints[0]}`,
      'cluster',
      'etcd version',
      'auth',
      `read ${prefix}`,
      `write ${prefix}`,
      'lease minimum TTL',
      'clock skew',
    ]) {
      expect([check, outcome(check)]).toEqual([check, 'ok']);
    }
    expect(r.stdout).toMatch(/etcd version\s+3\.\d+\.\d+/);
    expect(r.stdout).toMatch(/lease minimum TTL\s+\d s \(a 1 s lease was granted \d s\)/);
    expect(r.stdout).toMatch(/clock skew\s+etcd's clock is [+-]\d+ ms \(between [+-]?\d+ and [+-]?\d+ ms\)/);
    expect(Object.keys(await registry.getServices(prefix))).toHaveLength(4); // the write check wrote nothing
  });

  it('watch prints the present instances, then each change, and exits 0 on SIGTERM', async () => {
    const watch = cli.spawn(['watch', '--prefix', `${prefix}user-service/`], env);
    try {
      await watch.line(/ = user-service\/u2 {2}127\.0\.0\.1:3002 {2}up/);
      await registry.register(`${prefix}user-service/w1`, json({ address: '127.0.0.1:3009', zone: 'z1' }));
      expect(await watch.line(/ \+ user-service\/w1/)).toMatch(
        /^\d{4}-\d\d-\d\dT[\d:.]+Z \+ user-service\/w1 {2}127\.0\.0\.1:3009 {2}up {2}zone=z1 {2}rev \d+$/,
      );
      await registry.register(`${prefix}user-service/w1`, json({ address: '127.0.0.1:3009', status: 'draining' }));
      await watch.line(/ ~ user-service\/w1 {2}127\.0\.0\.1:3009 {2}draining/);
      await registry.unregister(`${prefix}user-service/w1`);
      await watch.line(/ - user-service\/w1/);
      expect(watch.lines.filter((l) => l.includes('billing'))).toEqual([]); // only the prefix asked for
    } finally {
      expect(await watch.stop()).toBe(0);
    }
    expect(watch.stderr).toContain(`watching ${prefix}user-service/ from revision`);
  });

  it('watch --json writes one JSON object a line', async () => {
    const watch = cli.spawn(['watch', '--json'], { ...env, ETCD_PREFIX: `${prefix}billing/` });
    try {
      const first = JSON.parse(await watch.line(/"type":"present"/));
      expect(first).toEqual({
        type: 'present',
        at: expect.any(String),
        instance: expect.objectContaining({ id: 'b1', version: '\u001b[2J<script>x</script>' }),
      });
      await registry.register(`${prefix}billing/b2`, '127.0.0.1:4002');
      expect(JSON.parse(await watch.line(/"type":"added"/)).instance).toEqual(
        expect.objectContaining({ id: 'b2', address: '127.0.0.1:4002', codec: 'etcd-service' }),
      );
    } finally {
      expect(await watch.stop()).toBe(0);
      await registry.unregister(`${prefix}billing/b2`);
    }
  });
});

describe('nestjs-etcd-registry CLI with an unreachable endpoint', () => {
  let etcd: EtcdServer;
  let dead: string;

  beforeAll(async () => {
    etcd = await useEtcd();
    dead = `127.0.0.1:${await freePort()}`; // nothing listens there
  });
  afterAll(() => etcd?.stop());

  it('ls, get and watch exit 3 within the timeout when etcd does not answer', async () => {
    for (const command of [['ls'], ['get', 'x'], ['watch']]) {
      const r = await cli.run([...command, '--timeout-ms', '1000'], { ETCD_ENDPOINTS: dead });
      expect([command[0], r.code]).toEqual([command[0], 3]);
      expect(r.stderr).toContain(dead);
      expect(r.ms).toBeLessThan(8_000);
    }
  });

  it('doctor exits 3 when no endpoint answers, 1 when one of two does not', async () => {
    const none = await cli.run(['doctor', '--timeout-ms', '1000'], { ETCD_ENDPOINTS: dead });
    expect(none.code).toBe(3);
    expect(none.stdout).toMatch(new RegExp(`^fail\\s+endpoint ${dead}\\s+unreachable`, 'm'));
    expect(none.stdout).toMatch(/^skip\s+auth\s+no endpoint answered/m);

    const one = await cli.run(['doctor', '--timeout-ms', '1000'], { ETCD_ENDPOINTS: `${etcd.endpoints[0]},${dead}` });
    expect(one.code).toBe(1);
    expect(one.stdout).toMatch(new RegExp(`^ok\\s+endpoint ${etcd.endpoints[0]}`, 'm'));
    expect(one.stdout).toMatch(new RegExp(`^fail\\s+endpoint ${dead}`, 'm'));
    expect(one.stdout).toMatch(/^ok\s+read \/services\//m);
  });
});

describe('nestjs-etcd-registry CLI against etcd with auth', () => {
  let etcd: EtcdServer;
  let auth: Awaited<ReturnType<typeof enableEtcdAuth>>;
  let env: Record<string, string>;

  beforeAll(async () => {
    // etcd's default election settings: its minimum lease TTL is then 2 s (1.5 election timeouts).
    etcd = await startEtcd(['--heartbeat-interval', '100', '--election-timeout', '1000']);
    auth = await enableEtcdAuth({ endpoints: etcd.endpoints, rootPassword: 'root-pw' });
    await auth.addUserWithPrefixes('reader', 'reader-pw', ['/services/'], 'read');
    await auth.addUserWithPrefixes('writer', 'writer-pw', ['/services/'], 'readwrite');
    await auth.addUserWithPrefixes('other', 'other-pw', ['/other/'], 'readwrite');
    await auth.run(['put', '/services/api/a1', '127.0.0.1:5001']);
    env = { ETCD_ENDPOINTS: etcd.endpoints.join(',') };
  }, 60_000);
  afterAll(() => etcd?.stop());

  const lineOf = (stdout: string, check: string) =>
    stdout.split('\n').find((l) => l.split(/\s{2,}/)[1] === check) ?? `(no ${check} line in ${stdout})`;

  it('without credentials: ls and doctor exit 4 and say etcd wants credentials', async () => {
    const ls = await cli.run(['ls'], env);
    expect([ls.code, ls.stderr]).toEqual([
      4,
      expect.stringContaining('etcd has auth enabled and no credentials were given: set ETCD_USERNAME and ETCD_PASSWORD'),
    ]);
    const doctor = await cli.run(['doctor'], env);
    expect(doctor.code).toBe(4);
    expect(lineOf(doctor.stdout, 'auth')).toMatch(/^fail/);
    expect(lineOf(doctor.stdout, 'endpoint ' + etcd.endpoints[0])).toMatch(/^ok/); // Status needs no credentials
  });

  it('wrong password: exit 4 naming the user', async () => {
    const doctor = await cli.run(['doctor'], { ...env, ETCD_USERNAME: 'reader', ETCD_PASSWORD: 'nope' });
    expect(doctor.code).toBe(4);
    expect(lineOf(doctor.stdout, 'auth')).toMatch(/^fail\s+auth\s+etcd refused the credentials of user "reader"/);
    const ls = await cli.run(['ls', '--username', 'reader', '--password', 'nope'], env);
    expect(ls.code).toBe(4);
  });

  it('a read-only role passes doctor, fails it with --write (exit 4); a role on another prefix fails the read', async () => {
    const reader = { ...env, ETCD_USERNAME: 'reader', ETCD_PASSWORD: 'reader-pw' };
    const read = await cli.run(['doctor'], reader);
    expect(read.code).toBe(0);
    expect(lineOf(read.stdout, 'auth')).toMatch(/^ok\s+auth\s+authenticated as reader/);
    expect(lineOf(read.stdout, 'read /services/')).toMatch(/^ok .*allowed \(1 key\)/);
    expect(lineOf(read.stdout, 'write /services/')).toMatch(/^skip/);
    const ls = await cli.run(['ls', '--json'], reader);
    expect([ls.code, JSON.parse(ls.stdout).instances.map((i: { id: string }) => i.id)]).toEqual([0, ['a1']]);

    const write = await cli.run(['doctor', '--write'], reader);
    expect(write.code).toBe(4);
    expect(lineOf(write.stdout, 'write /services/')).toMatch(/^fail .*may not write under \/services\/: grant its role readwrite/);

    const other = await cli.run(['doctor'], { ...env, ETCD_USERNAME: 'other', ETCD_PASSWORD: 'other-pw' });
    expect(other.code).toBe(4);
    expect(lineOf(other.stdout, 'read /services/')).toMatch(/^fail .*"other" may not read \/services\/: grant its role read/);
    const otherPrefix = await cli.run(['doctor', '--write', '--prefix', '/other/'], {
      ...env,
      ETCD_USERNAME: 'other',
      ETCD_PASSWORD: 'other-pw',
    });
    expect(otherPrefix.code).toBe(0);
  });

  it("a readwrite role passes --write without writing, and a ttlSeconds under etcd's minimum warns", async () => {
    const r = await cli.run(['doctor', '--write', '--ttl-seconds', '1'], { ...env, ETCD_USERNAME: 'writer', ETCD_PASSWORD: 'writer-pw' });
    expect(r.code).toBe(0); // a warning is not a failure
    expect(lineOf(r.stdout, 'write /services/')).toMatch(/^ok/);
    expect(lineOf(r.stdout, 'lease minimum TTL')).toMatch(
      /^warn\s+lease minimum TTL\s+2 s \(a 1 s lease was granted 2 s\): ttlSeconds 1 is raised to 2 by etcd/,
    );
    expect((await auth.run(['get', '/services/', '--prefix', '--keys-only'])).trim()).toBe('/services/api/a1');
    expect((await auth.run(['lease', 'list'])).trim()).toBe('found 0 leases'); // the probe lease was revoked
  });
});
