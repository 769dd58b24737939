import { ChildProcess, fork } from 'child_process';
import { Etcd3 } from 'etcd3';
import { join } from 'path';
import type { WatchStatus } from '../../lib/core';
import { uniquePrefix, withEtcd } from '../support/registry-fixtures';
import { seededRandom } from '../support/seeded-random';
import { waitFor } from '../support/wait-for';

const CHILD = join(__dirname, '..', 'support', 'child-watcher.ts');
const TS_NODE = require.resolve('ts-node/dist/bin.js');

type Reply = { type: 'ready' | 'blocking' | 'unblocked' } | { type: 'dump'; status?: WatchStatus; map: Record<string, string> };

/** A watcher in its own process (test/support/child-watcher.ts), whose event loop the test can block. */
class ChildWatcher {
  private readonly replies: Reply[] = [];
  private stderr = '';
  readonly child: ChildProcess;

  constructor(endpoints: string[], prefix: string) {
    this.child = fork(TS_NODE, ['--transpile-only', CHILD], {
      env: { ...process.env, ETCD_ENDPOINTS: endpoints.join(','), WATCH_PREFIX: prefix },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    this.child.stderr!.on('data', (c) => (this.stderr += c));
    this.child.on('message', (m: Reply) => this.replies.push(m));
  }

  /** The next reply of `type` (waited for with a deadline). */
  async next<T extends Reply['type']>(type: T, timeoutMs = 20_000): Promise<Extract<Reply, { type: T }>> {
    const found = await waitFor(
      () => {
        if (this.child.exitCode !== null) throw new Error(`child exited (${this.child.exitCode}): ${this.stderr}`);
        const i = this.replies.findIndex((r) => r.type === type);
        return i < 0 ? undefined : this.replies.splice(i, 1)[0];
      },
      { timeoutMs, message: `child's "${type}" (stderr: ${this.stderr})` },
    );
    return found as Extract<Reply, { type: T }>;
  }

  send(cmd: { type: 'block'; ms: number } | { type: 'dump' }): void {
    this.child.send(cmd);
  }

  async dump(): Promise<Extract<Reply, { type: 'dump' }>> {
    this.send({ type: 'dump' });
    return this.next('dump');
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** etcd's range of `prefix` at `revision`, as a plain map. */
async function rangeAt(client: Etcd3, prefix: string, revision: string): Promise<Record<string, string>> {
  const res = await client.getAll().prefix(prefix).revision(revision).exec();
  return Object.fromEntries(res.kvs.map((kv) => [kv.key.toString(), kv.value.toString()]));
}

/** Puts `count` keys with 300-600 B values under `prefix`, 100 at a time; resolves with the last put's revision. */
async function putMany(client: Etcd3, prefix: string, count: number, seed: number, from = 0): Promise<bigint> {
  const random = seededRandom(seed);
  let last = 0n;
  for (let i = from; i < from + count; i += 100) {
    const revisions = await Promise.all(
      Array.from({ length: Math.min(100, from + count - i) }, async (_, j) => {
        const value = `v${i + j}:`.padEnd(300 + Math.floor(random() * 301), 'x');
        return BigInt(
          (
            await client
              .put(`${prefix}k/${String(i + j).padStart(5, '0')}`)
              .value(value)
              .exec()
          ).header.revision,
        );
      }),
    );
    for (const r of revisions) if (r > last) last = r;
  }
  return last;
}

/**
 * Waits until the child's watch has caught up with `lastRevision`, then checks the invariant that
 * matters: its map equals etcd's range at the revision its status() reports, and it says live.
 */
async function expectExactAtReportedRevision(w: ChildWatcher, client: Etcd3, prefix: string, lastRevision: bigint): Promise<void> {
  let seen = '';
  await waitFor(
    async () => {
      const { status, map } = await w.dump();
      if (!status?.revision || BigInt(status.revision) < lastRevision) {
        seen = `revision ${status?.revision} < ${lastRevision}`;
        return false;
      }
      const expected = await rangeAt(client, prefix, status.revision);
      const missing = Object.keys(expected).filter((k) => map[k] !== expected[k]).length;
      const extra = Object.keys(map).filter((k) => !(k in expected)).length;
      seen = `at revision ${status.revision} (live: ${status.live}) the map has ${Object.keys(map).length} keys, etcd ${Object.keys(expected).length}; ${missing} missing or different, ${extra} extra`;
      return status.live && missing === 0 && extra === 0;
    },
    { timeoutMs: 20_000, intervalMs: 250, message: 'the child map to equal etcd at its reported revision' },
  ).catch((e: Error) => {
    throw new Error(`${e.message}: ${seen}`);
  });
}

/** A watch that falls behind (etcd sends its backlog in batches of 1,000 revisions) still ends exact. */
describe('watch catch-up after falling behind (real etcd, a child watcher)', () => {
  const t = withEtcd('per-test');
  const children: ChildWatcher[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) c.kill();
  });

  async function startChild(prefix: string): Promise<ChildWatcher> {
    const w = new ChildWatcher(t.etcd.endpoints, prefix);
    children.push(w);
    await w.next('ready');
    return w;
  }

  it.each([2000, 6000])(
    'a watcher whose event loop is blocked %i ms while 3,000 keys are put ends exact and live',
    async (blockMs) => {
      const prefix = uniquePrefix('catchup');
      const w = await startChild(prefix);
      w.send({ type: 'block', ms: blockMs });
      await w.next('blocking');
      const last = await putMany(t.client, prefix, 3000, blockMs);
      await w.next('unblocked', blockMs + 20_000);
      await expectExactAtReportedRevision(w, t.client, prefix, last);
      // And it keeps going: a later put is delivered, the map stays exact.
      const after = BigInt((await t.client.put(`${prefix}after`).value('1').exec()).header.revision);
      await expectExactAtReportedRevision(w, t.client, prefix, after);
    },
    90_000,
  );

  it('a watcher blocked while 3,000 keys are put with a compaction in the middle (its watch is cancelled) ends exact and live', async () => {
    const prefix = uniquePrefix('catchup-compact');
    const w = await startChild(prefix);
    w.send({ type: 'block', ms: 6000 });
    await w.next('blocking');
    const middle = await putMany(t.client, prefix, 1500, 7);
    await t.client.kv.compact({ revision: String(middle), physical: true });
    const last = await putMany(t.client, prefix, 1500, 8, 1500);
    await w.next('unblocked', 30_000);
    await expectExactAtReportedRevision(w, t.client, prefix, last);
  }, 90_000);
});
