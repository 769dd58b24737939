import { spawnSync } from 'child_process';
import { existsSync } from 'fs';
import { join } from 'path';
import { loadInstances } from '../../test/support/bulk-instances';
import { findEtcdctlBinary } from '../../test/support/etcd-binary';
import { BenchContext, withEtcd } from '../bench-context';
import { median, MedianInterval, medianInterval, seededRandom, shuffled } from '../stats';

const ROOT = join(__dirname, '..', '..');

/** Figure 11: `ls` of the built CLI against `etcdctl get --prefix`, Node's own start taken out. */
export interface CliResult {
  keys: number;
  rounds: number;
  /** Per round, ms: `node -e 0`, etcdctl, ls (each a fresh process, the three in a shuffled order). */
  nodeMs: number[];
  etcdctlMs: number[];
  lsMs: number[];
  /** Per round: (ls - node) / etcdctl, with the median's distribution-free interval. */
  ratio: MedianInterval;
}

type Command = 'node' | 'etcdctl' | 'ls';

/** Wall time of one command to its exit, ms (output read and dropped, as a pipe to /dev/null). */
function wallMs(command: string, args: string[]): number {
  const started = process.hrtime.bigint();
  const r = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env.PATH } });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${r.status}: ${r.stderr.toString()}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/**
 * 10,000 json instances (as the fleet's services write them) in a fresh etcd; per round, in a
 * seeded shuffled order: `node -e 0`, `etcdctl get --prefix` and the built CLI's `ls` of the
 * prefix (dist/cli/main.js, a table on stdout), each a fresh process. Two rounds of warm-up first
 * (page cache, etcd's own caches). The ratio is computed per round, so a drift of the machine's
 * load falls on the three commands of that round alike.
 */
export async function measureCli(ctx: BenchContext): Promise<CliResult> {
  const main = join(ROOT, 'dist', 'cli', 'main.js');
  if (!existsSync(main)) throw new Error('the CLI figure runs the built CLI: dist/cli/main.js is missing, run `npm run build` first');
  const etcdctl = findEtcdctlBinary();
  const keys = 10_000;
  const rounds = ctx.small ? 15 : 31;
  return withEtcd(async (etcd) => {
    const prefix = '/bench-cli/';
    await loadInstances(etcd.client, prefix, keys);
    const endpoint = etcd.endpoints[0];
    const run: Record<Command, () => number> = {
      node: () => wallMs(process.execPath, ['-e', '0']),
      etcdctl: () => wallMs(etcdctl, ['--endpoints', endpoint, 'get', '--prefix', prefix]),
      ls: () => wallMs(process.execPath, [main, 'ls', '--endpoints', endpoint, '--prefix', prefix]),
    };
    const random = seededRandom(31);
    const times: Record<Command, number[]> = { node: [], etcdctl: [], ls: [] };
    for (let round = -2; round < rounds; round++) {
      const t: Partial<Record<Command, number>> = {};
      for (const command of shuffled(['node', 'etcdctl', 'ls'] as const, random)) t[command] = run[command]();
      if (round < 0) continue;
      for (const command of ['node', 'etcdctl', 'ls'] as const) times[command].push(t[command]!);
    }
    const ratios = times.ls.map((ls, i) => (ls - times.node[i]) / times.etcdctl[i]);
    const ratio = medianInterval(ratios);
    ctx.log(
      `   ls ${median(times.ls).toFixed(1)} ms, node -e 0 ${median(times.node).toFixed(1)} ms, etcdctl ${median(times.etcdctl).toFixed(1)} ms: ` +
        `(ls - node) / etcdctl ${ratio.median.toFixed(2)}x [${ratio.low.toFixed(2)}, ${ratio.high.toFixed(2)}]`,
    );
    return { keys, rounds, nodeMs: times.node, etcdctlMs: times.etcdctl, lsMs: times.ls, ratio };
  });
}
