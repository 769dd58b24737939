import { execFileSync } from 'child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { request as httpsRequest } from 'https';
import { EtcdMember, singleMember } from './etcd-launcher';
import { waitFor } from './wait-for';

const OPENSSL = process.env.OPENSSL_BIN ?? 'openssl';

export interface TlsMaterial {
  /** Directory holding every file below (deleted by cleanup()). */
  dir: string;
  /** Files for etcd's flags. */
  files: { ca: string; serverCert: string; serverKey: string; clientCert: string; clientKey: string; otherCa: string };
  /** PEM contents for the client. */
  ca: string;
  clientCert: string;
  clientKey: string;
  /** A CA that signed nothing here: the wrong-CA case. */
  otherCa: string;
  /** A client certificate signed by the other CA (etcd must refuse it under --client-cert-auth). */
  otherClientCert: string;
  otherClientKey: string;
  cleanup(): void;
}

function openssl(dir: string, args: string[]): void {
  execFileSync(OPENSSL, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeCa(dir: string, name: string, cn: string): void {
  openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`]);
  openssl(dir, ['req', '-x509', '-new', '-key', `${name}.key`, '-sha256', '-days', '2', '-subj', `/CN=${cn}`, '-out', `${name}.crt`]);
}

function makeLeaf(dir: string, ca: string, name: string, cn: string, ext: string): void {
  openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`]);
  openssl(dir, ['req', '-new', '-key', `${name}.key`, '-subj', `/CN=${cn}`, '-out', `${name}.csr`]);
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.crt`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-days',
    '2',
    '-sha256',
    '-extfile',
    `${name}.ext`,
    '-out',
    `${name}.crt`,
  ]);
}

/**
 * Generates, with openssl, a CA; a server certificate for 127.0.0.1 (SAN IP:127.0.0.1, also usable
 * as etcd's peer certificate); a client certificate; and a second, unrelated CA with its own client
 * certificate for the wrong-CA cases. EC P-256 keys, valid two days.
 */
export function generateTlsMaterial(): TlsMaterial {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-tls-'));
  makeCa(dir, 'ca', 'registry-test-ca');
  makeCa(dir, 'other-ca', 'unrelated-ca');
  makeLeaf(
    dir,
    'ca',
    'server',
    '127.0.0.1',
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n',
  );
  makeLeaf(dir, 'ca', 'client', 'registry-client', 'extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n');
  makeLeaf(dir, 'other-ca', 'other-client', 'registry-client', 'extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n');
  const f = (n: string) => join(dir, n);
  const read = (n: string) => readFileSync(f(n), 'utf8');
  return {
    dir,
    files: {
      ca: f('ca.crt'),
      serverCert: f('server.crt'),
      serverKey: f('server.key'),
      clientCert: f('client.crt'),
      clientKey: f('client.key'),
      otherCa: f('other-ca.crt'),
    },
    ca: read('ca.crt'),
    clientCert: read('client.crt'),
    clientKey: read('client.key'),
    otherCa: read('other-ca.crt'),
    otherClientCert: read('other-client.crt'),
    otherClientKey: read('other-client.key'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * etcd flags for client TLS with this material; `mutual` adds --client-cert-auth and the CA that
 * client certificates must chain to. (etcd turns client-certificate auth on whenever
 * --trusted-ca-file is set, so server-only TLS must not set it.)
 */
export function etcdTlsArgs(tls: TlsMaterial, mutual: boolean): string[] {
  return [
    '--cert-file',
    tls.files.serverCert,
    '--key-file',
    tls.files.serverKey,
    ...(mutual ? ['--trusted-ca-file', tls.files.ca, '--client-cert-auth'] : []),
  ];
}

/**
 * A single-node etcd serving clients over https only (the launcher's member speaks http), with
 * `mutual` client-certificate auth, on free loopback ports; resolves once `/health` answers over TLS.
 */
export async function startTlsEtcd(
  tls: TlsMaterial,
  mutual: boolean,
): Promise<{ endpoints: string[]; member: EtcdMember; stop(): Promise<void> }> {
  const member = await singleMember('tls', (port) => {
    const url = `https://127.0.0.1:${port}`;
    return [...etcdTlsArgs(tls, mutual), '--listen-client-urls', url, '--advertise-client-urls', url];
  });
  const clientPort = member.config.clientPort;
  member.start();
  const probe = () =>
    new Promise<boolean>((resolve) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          servername: 'localhost',
          port: clientPort,
          path: '/health',
          ca: tls.ca,
          cert: tls.clientCert,
          key: tls.clientKey,
          timeout: 1000,
        },
        (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve(body.includes('"health":"true"')));
        },
      );
      req.on('error', () => resolve(false));
      req.on('timeout', () => {
        req.destroy();
        resolve(false);
      });
      req.end();
    });
  try {
    await waitFor(
      () => {
        if (!member.running) throw new Error(`etcd ${member.config.name} exited while starting`);
        return probe();
      },
      { timeoutMs: 20_000, intervalMs: 50, message: `etcd ${member.config.name} healthy over TLS` },
    );
  } catch (e) {
    await member.destroy();
    throw e;
  }
  return { endpoints: [`127.0.0.1:${clientPort}`], member, stop: () => member.destroy() };
}
