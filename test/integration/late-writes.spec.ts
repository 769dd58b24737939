import { Etcd3 } from 'etcd3';
import { RegistryUnavailableError } from '../../lib';
import { EtcdServer, startEtcd } from '../support/etcd-launcher';
import { FaultProxy, startFaultProxy } from '../support/fault-proxy';
import { RecordingLogger, RegistryPool, uniquePrefix } from '../support/registry-fixtures';
import { WatchRecorder } from '../support/watch-recorder';
import { waitFor } from '../support/wait-for';

describe('writes that land after their caller gave up (real etcd)', () => {
  let etcd: EtcdServer;
  let proxy: FaultProxy;
  let client: Etcd3;
  const pool = new RegistryPool();

  beforeAll(async () => {
    etcd = await startEtcd();
  });
  beforeEach(async () => {
    proxy = await startFaultProxy(etcd.endpoints);
    client = pool.client(etcd.endpoints);
  });
  afterEach(async () => {
    await pool.closeAll();
    await proxy.close();
  });
  afterAll(() => etcd.stop());

  // With a namespace too: the sweep reads full keys from the lease and deletes by full key.
  it.each<[string | undefined, string]>([
    [undefined, 'no namespace'],
    ['/late-ns/', 'a namespace'],
  ])(
    'removes a key that a timed-out register wrote late, so only registered keys stay under the lease (namespace %s: %s)',
    async (namespace) => {
      const prefix = uniquePrefix();
      const logger = new RecordingLogger();
      const registry = await pool.create(proxy.endpoints, { timeoutMs: 2000, logger, namespace });
      await registry.register(`${prefix}kept`, 'k');
      const seen = new WatchRecorder();
      const observer = await pool.create(etcd.endpoints, { namespace });
      await observer.addWatch(prefix, seen.handler);

      // Slow the link: the register request reaches etcd only after the caller has given up (2 s),
      // and well before the cancel of the call (sent at the operation's deadline, 2 s after the request).
      proxy.delay(3000);
      const error = await registry.register(`${prefix}late`, 'l').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RegistryUnavailableError);

      // The late write lands (etcd applies the delayed request), then the registry removes it.
      await waitFor(() => seen.maps.some((m) => `${prefix}late` in m), { timeoutMs: 8000, message: 'late write landed' });
      proxy.heal();
      await waitFor(() => seen.last && !(`${prefix}late` in seen.last), { timeoutMs: 15_000, message: 'late write swept' });
      expect(seen.last).toEqual({ [`${prefix}kept`]: 'k' });
      expect(logger.has('debug', /late write had put it back/)).toBe(true);
      const lease = await client.leaseClient.leaseTimeToLive({ ID: registry.leaseId!, keys: true });
      expect(lease.keys.map((k) => Buffer.from(k).toString())).toEqual([`${namespace ?? ''}${prefix}kept`]);
    },
  );
});
