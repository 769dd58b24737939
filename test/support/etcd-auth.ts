import { execFile } from 'child_process';
import { findEtcdctlBinary } from './etcd-binary';

export interface EtcdAuthOptions {
  endpoints: string[];
  rootPassword: string;
  /** For a TLS etcd: CA file (and client cert/key files for mutual TLS). */
  tls?: { caFile: string; certFile?: string; keyFile?: string };
}

/** Runs etcdctl (API v3) against `endpoints`; resolves with stdout, rejects with stderr. */
export function etcdctl(opts: { endpoints: string[]; user?: string; tls?: EtcdAuthOptions['tls'] }, args: string[]): Promise<string> {
  const secure = !!opts.tls;
  const eps = opts.endpoints.map((e) => (/^https?:\/\//.test(e) ? e : `${secure ? 'https' : 'http'}://${e}`)).join(',');
  const full = [`--endpoints=${eps}`, '--dial-timeout=5s', '--command-timeout=10s'];
  if (opts.user) full.push(`--user=${opts.user}`);
  if (opts.tls) {
    full.push(`--cacert=${opts.tls.caFile}`);
    if (opts.tls.certFile) full.push(`--cert=${opts.tls.certFile}`, `--key=${opts.tls.keyFile}`);
  }
  full.push(...args);
  return new Promise((resolve, reject) => {
    execFile(findEtcdctlBinary(), full, { env: { ...process.env, ETCDCTL_API: '3' }, timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`etcdctl ${args.join(' ')} failed: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

/**
 * Auth on a fresh etcd: `root` with `rootPassword`, then `auth enable`. Returns helpers that run as root.
 */
export async function enableEtcdAuth(opts: EtcdAuthOptions) {
  const base = { endpoints: opts.endpoints, tls: opts.tls };
  await etcdctl(base, ['user', 'add', `root:${opts.rootPassword}`]);
  await etcdctl(base, ['auth', 'enable']);
  const asRoot = { ...base, user: `root:${opts.rootPassword}` };
  return {
    /** Runs etcdctl as root. */
    run: (args: string[]) => etcdctl(asRoot, args),
    /** A user with a role that may read and write (or only read) `prefixes` (each a key prefix) and nothing else. */
    async addUserWithPrefixes(
      user: string,
      password: string,
      prefixes: string[],
      permission: 'readwrite' | 'read' = 'readwrite',
    ): Promise<void> {
      const role = `role-${user}`;
      await etcdctl(asRoot, ['role', 'add', role]);
      for (const p of prefixes) await etcdctl(asRoot, ['role', 'grant-permission', role, permission, p, '--prefix=true']);
      await etcdctl(asRoot, ['user', 'add', `${user}:${password}`]);
      await etcdctl(asRoot, ['user', 'grant-role', user, role]);
    },
  };
}

/** etcd flags for a short simple-token TTL (seconds), so a token expires mid-test. */
export function shortTokenTtlArgs(seconds: number): string[] {
  return ['--auth-token', 'simple', '--auth-token-ttl', String(seconds)];
}
