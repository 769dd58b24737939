import type { CliResult } from './figures/cli';
import { fmt, median, intervalVerdict, verdictText } from './stats';

/** Figure 11: the CLI's `ls` of 10,000 instances against etcdctl, Node's own start taken out. */
export function cliSection(c: CliResult): string {
  const r = c.ratio;
  const coverage = fmt(r.coverage * 100, 1);
  return [
    `## 11. The CLI in scripts: \`ls\` of ${c.keys.toLocaleString('en-US')} instances against etcdctl`,
    '',
    `The built CLI (\`node dist/cli/main.js ls --endpoints ... --prefix ...\`, a table on stdout) against \`etcdctl get --prefix\` of the same ${c.keys.toLocaleString('en-US')} json values, and \`node -e 0\` (Node's own start), each a fresh process with its output read and dropped; ${c.rounds} rounds after two of warm-up, the three commands in a seeded shuffled order per round. Per round, the ratio (ls - node) / etcdctl; shown, its median with the distribution-free interval of the median (order statistics ${r.rank} from each end: ${coverage} % coverage). Target: <= 2x.`,
    '',
    '| | ms, median of rounds |',
    '|---|---|',
    `| \`node -e 0\` | ${fmt(median(c.nodeMs), 1)} |`,
    `| \`etcdctl get --prefix\` | ${fmt(median(c.etcdctlMs), 1)} |`,
    `| \`ls\` | ${fmt(median(c.lsMs), 1)} |`,
    `| \`ls\` minus \`node -e 0\` (median of per-round differences) | ${fmt(median(c.lsMs.map((ls, i) => ls - c.nodeMs[i])), 1)} |`,
    '',
    `(ls - node) / etcdctl: **${fmt(r.median)}x** [${fmt(r.low)}, ${fmt(r.high)}]; <= 2x: ${verdictText(intervalVerdict(r, 2, 'below'))}.`,
    '',
  ].join('\n');
}
