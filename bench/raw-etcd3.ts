import { Etcd3, IKeyValue, Lease, Watcher } from 'etcd3';
import { BenchClient, BenchClientOptions, BenchHandler } from './bench-client.interface';

/**
 * The floor, written by hand on etcd3: one lease for all keys, and per watch one Get of the prefix
 * then one etcd watch from the next revision, applied to a Map that is handed over as it is.
 * Nothing else: no retries, no resync, no copy.
 */
export class RawEtcd3Client implements BenchClient {
  protected readonly client: Etcd3;
  protected lease?: Lease;
  private readonly watchers: Watcher[] = [];

  constructor(protected readonly options: BenchClientOptions) {
    // Without this, grpc-js refuses a read of more than 4 MB (about 40k instances); Go's clientv3 has no such limit.
    this.client = new Etcd3({ hosts: options.endpoints.map((e) => `http://${e}`), grpcOptions: { 'grpc.max_receive_message_length': -1 } });
  }

  async register(key: string, value: string): Promise<void> {
    this.lease ??= this.client.lease(this.options.ttlSeconds);
    await this.lease.put(key).value(value);
  }

  async unregister(key: string): Promise<void> {
    await this.client.delete().key(key);
  }

  async watch(prefix: string, fn: BenchHandler): Promise<void> {
    const map = new Map<string, string>();
    const res = await this.client.getAll().prefix(prefix).exec();
    for (const kv of res.kvs) map.set(kv.key.toString(), kv.value.toString());
    fn(map);
    const watcher = await this.client
      .watch()
      .prefix(prefix)
      .startRevision(String(Number(res.header.revision) + 1))
      .create();
    watcher.on('error', () => undefined);
    watcher.on('data', (data) => {
      for (const event of data.events) {
        const kv: IKeyValue = event.kv;
        if (event.type === 'Put') map.set(kv.key.toString(), kv.value.toString());
        else map.delete(kv.key.toString());
      }
      if (data.events.length > 0) fn(map);
    });
    this.watchers.push(watcher);
  }

  async close(): Promise<void> {
    await Promise.all(this.watchers.map((w) => w.cancel().catch(() => undefined)));
    if (this.lease) await this.lease.revoke().catch(() => undefined);
    this.client.close();
  }
}
