import { spawn } from 'child_process';
import { Etcd3 } from 'etcd3';
import { readFileSync } from 'fs';
import { join } from 'path';
import { loadInstances } from '../support/bulk-instances';
import { CliBuild, CliResult } from '../support/cli-process';
import { EtcdServer, startEtcd } from '../support/etcd-launcher';
import { generateTlsMaterial, startTlsEtcd, TlsMaterial } from '../support/tls-certs';

// The CLI in scripts: pipes that close early, --version, TLS messages in the CLI's own terms, and
// `ls` of 10,000 keys (timed against etcdctl by `npm run bench -- --only=cli`). The built CLI, as a child process, against real etcd.
jest.setTimeout(120_000);

let cli: CliBuild;
beforeAll(() => {
  cli = new CliBuild();
});
afterAll(() => {
  cli?.dispose();
});

/** `<cli> <args> | <reader>` under bash's pipefail: the pipeline's status is the CLI's when it fails. */
function pipeline(args: string[], reader: string, env: Record<string, string>, timeoutMs = 30_000): Promise<CliResult> {
  const started = Date.now();
  const quoted = [process.execPath, cli.main, ...args].map((a) => `'${a}'`).join(' ');
  const child = spawn('bash', ['-o', 'pipefail', '-c', `${quoted} | ${reader}`], { env: { PATH: process.env.PATH, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`pipeline ${args.join(' ')} | ${reader} did not end within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

describe('the CLI in scripts, 10,000 instances in etcd', () => {
  let etcd: EtcdServer;
  let client: Etcd3;
  let env: Record<string, string>;
  const prefix = `/scripts-${Date.now()}/`;

  beforeAll(async () => {
    etcd = await startEtcd();
    env = { ETCD_ENDPOINTS: etcd.endpoints.join(','), ETCD_PREFIX: prefix };
    client = new Etcd3({ hosts: etcd.endpoints.map((e) => `http://${e}`) });
    await loadInstances(client, prefix, 10_000);
  });
  afterAll(async () => {
    client?.close();
    await etcd?.stop();
  });

  it.each([
    ['ls', ['ls']],
    ['ls --json', ['ls', '--json']],
    ['watch', ['watch']],
  ])('`%s | head -n 1` ends quietly with exit 0 under pipefail', async (_name, args) => {
    const r = await pipeline(args, 'head -n 1', env);
    expect(r.stderr).not.toMatch(/EPIPE|Error|at /);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('--version prints the package version and exits 0', async () => {
    const { version } = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = await cli.run([flag]);
      expect([r.code, r.stdout, r.stderr]).toEqual([0, `${version}\n`, '']);
    }
  });

  it('ls of 10,000 keys prints every instance (timed against etcdctl by the benchmark, figure 11)', async () => {
    const r = await cli.run(['ls'], env);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(10_001);
  });
});

describe('the CLI against etcd over mutual TLS at an IP address', () => {
  let tls: TlsMaterial;
  let etcd: { endpoints: string[]; stop(): Promise<void> };
  let files: { ca: string; cert: string; key: string; other: string };

  beforeAll(async () => {
    tls = generateTlsMaterial();
    etcd = await startTlsEtcd(tls, true);
    files = { ca: tls.files.ca, cert: tls.files.clientCert, key: tls.files.clientKey, other: tls.files.otherCa };
  });
  afterAll(async () => {
    await etcd?.stop();
    tls?.cleanup();
  });

  const stderrLines = (r: CliResult) => r.stderr.split('\n').filter(Boolean);

  it('with the right files: no deprecation warning (no IP address as TLS server name)', async () => {
    const r = await cli.run(['ls', '--endpoints', `https://${etcd.endpoints[0]}`], {
      ETCD_CA_FILE: files.ca,
      ETCD_CERT_FILE: files.cert,
      ETCD_KEY_FILE: files.key,
    });
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/DEP0123|DeprecationWarning|Warning/);
  });

  it.each([
    ['no client certificate', (f: typeof files) => ['--ca-file', f.ca], /--cert-file\/--key-file \(ETCD_CERT_FILE\/ETCD_KEY_FILE\)/],
    ['the wrong CA', (f: typeof files) => ['--ca-file', f.other, '--cert-file', f.cert, '--key-file', f.key], /--ca-file \(ETCD_CA_FILE\)/],
  ])('%s: exit 3, one line naming the flags and variables, not the module options', async (_name, flags, hint) => {
    const r = await cli.run(['ls', '--endpoints', `https://${etcd.endpoints[0]}`, '--timeout-ms', '2000', ...flags(files)]);
    expect(r.code).toBe(3);
    expect(stderrLines(r)).toHaveLength(1);
    expect(r.stderr).toMatch(/^nestjs-etcd-registry: TLS connection to etcd at https:\/\/127\.0\.0\.1:\d+ failed/);
    expect(r.stderr).toMatch(hint);
    expect(r.stderr).not.toMatch(/"tls\.|DEP0123/);
  });

  it('plaintext to a TLS etcd: one line pointing at https:// and --ca-file', async () => {
    const r = await cli.run(['ls', '--endpoints', etcd.endpoints[0], '--timeout-ms', '2000']);
    expect(r.code).toBe(3);
    expect(stderrLines(r)).toEqual([expect.stringMatching(/speaks TLS .* use https:\/\/ endpoints and --ca-file \(ETCD_CA_FILE\)/)]);
  });
});
