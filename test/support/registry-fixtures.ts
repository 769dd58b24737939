import { randomBytes } from 'crypto';
import { Etcd3 } from 'etcd3';
import { EtcdRegistry, RegistryLogger, RegistryOptions, createRegistry } from '../../lib';
import { EtcdMember, EtcdServer, startEtcd, useEtcd } from './etcd-launcher';
import { rawClient } from './registry-probe';

/** A unique key prefix per test, so tests never see each other's keys (also on a shared ETCD_ENDPOINTS). */
export function uniquePrefix(label = 't'): string {
  return `/test-${label}-${randomBytes(4).toString('hex')}/`;
}

/** A logger that records every line, for asserting what the registry said. */
export class RecordingLogger implements RegistryLogger {
  readonly lines: { level: string; message: string }[] = [];
  log(message: string): void {
    this.lines.push({ level: 'log', message });
  }
  warn(message: string): void {
    this.lines.push({ level: 'warn', message });
  }
  error(message: string): void {
    this.lines.push({ level: 'error', message });
  }
  debug(message: string): void {
    this.lines.push({ level: 'debug', message });
  }
  has(level: string, pattern: RegExp): boolean {
    return this.lines.some((l) => l.level === level && pattern.test(l.message));
  }
}

/** Registries created by a spec, closed in afterEach. */
export class RegistryPool {
  private readonly open: { close(): Promise<void> | void }[] = [];

  async create(endpoints: string[], options: Partial<RegistryOptions> = {}): Promise<EtcdRegistry> {
    const registry = createRegistry({ endpoints, timeoutMs: 3000, ...options });
    this.open.push(registry);
    return registry;
  }

  client(endpoints: string[]): Etcd3 {
    const client = rawClient(endpoints);
    this.open.push(client);
    return client;
  }

  async closeAll(): Promise<void> {
    const all = this.open.splice(0);
    await Promise.all(all.map((c) => Promise.resolve(c.close()).catch(() => undefined)));
  }
}

export interface EtcdSpecContext {
  etcd: EtcdServer & { member?: EtcdMember };
  /** An independent etcd3 client, for reading and writing behind the registry's back. */
  client: Etcd3;
  pool: RegistryPool;
}

/**
 * Jest hooks for a spec against real etcd: `shared` uses one etcd for the file (ETCD_ENDPOINTS
 * when set), `per-test` starts a fresh one for each test (tests that stop, kill or wipe it).
 * Registries and clients made through `pool` are closed after each test.
 */
export function withEtcd(mode: 'shared' | 'per-test' = 'shared'): EtcdSpecContext {
  const t = { pool: new RegistryPool() } as EtcdSpecContext;
  if (mode === 'shared') {
    beforeAll(async () => {
      t.etcd = await useEtcd();
    });
    afterAll(() => t.etcd.stop());
  } else {
    beforeEach(async () => {
      t.etcd = await startEtcd();
    });
  }
  beforeEach(() => {
    t.client = t.pool.client(t.etcd.endpoints);
  });
  afterEach(async () => {
    await t.pool.closeAll();
    if (mode === 'per-test') await t.etcd.stop();
  });
  return t;
}
