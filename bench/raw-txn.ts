import { CompareResult, CompareTarget } from 'etcd3';
import { RawEtcd3Client } from './raw-etcd3';

/**
 * The guarded floor (figure 1 only): the raw floor's client and watch side, but each write is the one
 * transaction our registry needs for safety, sent on etcd3's KV client. Register: create only if absent
 * (create_revision == 0, then put under the lease). Unregister: delete only if the key is under our
 * lease. Like ours, with no else branch (ours reads the key in a second request only when the compare failed). One lease, granted at the first call and kept for the client's
 * life. No retries, nothing else: raw to here is the transactions' own cost, here to ours is our code.
 */
export class RawTxnClient extends RawEtcd3Client {
  private leaseId(): Promise<string> {
    this.lease ??= this.client.lease(this.options.ttlSeconds);
    return this.lease.grant();
  }

  override async register(key: string, value: string): Promise<void> {
    const lease = await this.leaseId();
    const k = Buffer.from(key);
    await this.client.kv.txn({
      compare: [{ key: k, result: CompareResult.Equal, target: CompareTarget.Create, create_revision: 0 }],
      success: [{ request_put: { key: k, value: Buffer.from(value), lease } }],
      failure: [],
    });
  }

  override async unregister(key: string): Promise<void> {
    const lease = await this.leaseId();
    const k = Buffer.from(key);
    await this.client.kv.txn({
      compare: [{ key: k, result: CompareResult.Equal, target: CompareTarget.Lease, lease }],
      success: [{ request_delete_range: { key: k } }],
      failure: [],
    });
  }
}
