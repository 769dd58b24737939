import { createRegistry, EtcdRegistry } from '../../lib/core';
import { EtcdCluster, startEtcdCluster } from '../support/etcd-cluster';
import { FaultProxy, startFaultProxy } from '../support/fault-proxy';
import { printFigures, rawClient, recordFigure } from '../support/registry-probe';
import { recordWatch } from '../support/watch-recorder';
import { waitFor } from '../support/wait-for';

jest.setTimeout(120_000);

const SPEC = 'partition';
const TTL_SECONDS = 3;

/**
 * A minority partition. One member's peer links are cut (its client port still
 * answers); a registry connected to it, with every endpoint configured, must move its watch and
 * its keep-alives to a member with a leader, say so through status() meanwhile, and keep its keys.
 */
describe('a member cut off from its peers (minority partition)', () => {
  let cluster: EtcdCluster;
  const proxies: FaultProxy[] = [];
  const registries: EtcdRegistry[] = [];

  beforeAll(async () => {
    cluster = await startEtcdCluster(3, [], { peerProxies: true });
  });
  afterEach(async () => {
    cluster.healPeers();
    await Promise.all(registries.splice(0).map((r) => r.close()));
    await Promise.all(proxies.splice(0).map((p) => p.close()));
  });
  afterAll(async () => {
    printFigures(SPEC);
    await cluster?.destroy();
  });

  it('the watch reports not live, moves to a member with a leader, sees the majority; the keys do not expire', async () => {
    const p = '/f-partition/';
    const leader = await cluster.leader();
    const isolated = (leader + 1) % 3;
    const others = [0, 1, 2].filter((i) => i !== isolated);
    // The other members sit behind proxies that are cut at first: the registry's streams open on `isolated`.
    const otherLinks = await Promise.all(others.map((i) => startFaultProxy([cluster.endpoints[i]])));
    proxies.push(...otherLinks);
    for (const link of otherLinks) link.cut();
    const endpoints = [cluster.endpoints[isolated], ...otherLinks.map((l) => l.endpoints[0])];
    const app = createRegistry({ endpoints, ttlSeconds: TTL_SECONDS, timeoutMs: 5000 });
    registries.push(app);
    await app.register(`${p}app`, 'APP');
    const rec = await recordWatch(app, p);
    expect(app.status().watches[0].live).toBe(true);
    for (const link of otherLinks) link.heal();

    // The majority side: a client and a registry on the two other members only.
    const majority = others.map((i) => cluster.endpoints[i]);
    const checker = rawClient(majority);
    const owner = createRegistry({ endpoints: majority, ttlSeconds: TTL_SECONDS, timeoutMs: 5000 });
    registries.push(owner);
    const onMajority = await recordWatch(owner, p);
    await waitFor(() => onMajority.last?.[`${p}app`] === 'APP', { message: 'the majority to see the app key' });

    const t0 = Date.now();
    await cluster.isolate(isolated);
    try {
      // Not live while its member has no leader...
      await waitFor(() => !app.status().watches[0].live, { timeoutMs: 10_000, message: 'the watch to report itself not live' });
      const notLiveAfter = Date.now() - t0;
      recordFigure(SPEC, 'watch reported not live after', notLiveAfter);
      expect(app.status().watches[0].staleSince).toBeGreaterThanOrEqual(t0 - 1000);
      // ...then live again on a member with a leader, and current with the majority.
      await owner.register(`${p}new`, 'NEW');
      await waitFor(() => rec.last?.[`${p}new`] === 'NEW', { timeoutMs: 15_000, message: 'the app to see a change made on the majority' });
      recordFigure(SPEC, 'app sees a change made on the majority after', Date.now() - t0);
      await waitFor(() => app.status().watches[0].live, { timeoutMs: 10_000, message: 'the watch live again' });
      recordFigure(SPEC, 'watch live again after', Date.now() - t0);
      // The app's key does not expire on the majority: its keep-alives moved too (3 TTLs of partition).
      await new Promise((res) => setTimeout(res, 3 * TTL_SECONDS * 1000)); // the observation window
      expect(onMajority.missingSince(`${p}app`, t0)).toBe(0);
      expect(await checker.get(`${p}app`).string()).toBe('APP');
      recordFigure(SPEC, 'app key missing on the majority (maps)', onMajority.missingSince(`${p}app`, t0), 'maps');
    } finally {
      cluster.healPeers();
      checker.close();
    }
  });
});
