import { Etcd3, Lease, Watcher } from 'etcd3';
import { BenchClient, BenchClientOptions, BenchHandler } from './bench-client.interface';

/** How often the seed re-reads every watched prefix in full. */
export const SEED_RESYNC_MS = 5000;

interface SeedWatch {
  services: Map<string, string>;
  watcher?: Watcher;
  timer?: NodeJS.Timeout;
}

/**
 * The Go seed's design (etcdService), written honestly as a baseline:
 * - one lease per registered key, each with its own keep-alive;
 * - per AddWatch, one Get of the prefix, one etcd watch, and a full Get of the prefix every 5 s;
 * - on every event (and every resync) the whole map is rebuilt and handed to the callback.
 */
export class SeedDesignClient implements BenchClient {
  private readonly client: Etcd3;
  private readonly leases = new Map<string, Lease>();
  private readonly watches: SeedWatch[] = [];

  constructor(private readonly options: BenchClientOptions) {
    // Without this, grpc-js refuses a read of more than 4 MB (about 40k instances); Go's clientv3 has no such limit.
    this.client = new Etcd3({ hosts: options.endpoints.map((e) => `http://${e}`), grpcOptions: { 'grpc.max_receive_message_length': -1 } });
  }

  async register(key: string, value: string): Promise<void> {
    const lease = this.client.lease(this.options.ttlSeconds);
    lease.on('lost', () => undefined);
    await lease.put(key).value(value);
    this.leases.set(key, lease);
  }

  async unregister(key: string): Promise<void> {
    const lease = this.leases.get(key);
    this.leases.delete(key);
    await this.client.delete().key(key);
    if (lease) await lease.revoke().catch(() => undefined);
  }

  async watch(prefix: string, fn: BenchHandler): Promise<void> {
    const w: SeedWatch = { services: new Map() };
    this.watches.push(w);
    const handOver = () => {
      // The seed rebuilds a fresh map from its state on every event and hands it over.
      const copy: Record<string, string> = {};
      for (const [k, v] of w.services) copy[k] = v;
      fn(copy);
    };
    const readAll = async (): Promise<string> => {
      const res = await this.client.getAll().prefix(prefix).exec();
      w.services = new Map(res.kvs.map((kv) => [kv.key.toString(), kv.value.toString()]));
      handOver();
      return res.header.revision;
    };
    const revision = await readAll();
    w.watcher = await this.client
      .watch()
      .prefix(prefix)
      .startRevision(String(Number(revision) + 1))
      .create();
    w.watcher.on('error', () => undefined);
    w.watcher.on('put', (kv) => {
      w.services.set(kv.key.toString(), kv.value.toString());
      handOver();
    });
    w.watcher.on('delete', (kv) => {
      w.services.delete(kv.key.toString());
      handOver();
    });
    w.timer = setInterval(() => void readAll().catch(() => undefined), SEED_RESYNC_MS);
  }

  async close(): Promise<void> {
    for (const w of this.watches) clearInterval(w.timer);
    await Promise.all(
      this.watches
        .map((w) => w.watcher)
        .filter((w) => w !== undefined)
        .map((w) => w.cancel().catch(() => undefined)),
    );
    await Promise.all([...this.leases.values()].map((l) => l.revoke().catch(() => undefined)));
    this.leases.clear();
    this.client.close();
  }
}
