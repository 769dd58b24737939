/**
 * A chaos node in its own process (forked by chaos.spec.ts): start, report on demand, quiesce, close.
 * Messages: { cmd: 'start', id, endpoints, prefix, seed } | { cmd: 'report' } | { cmd: 'quiesce' } | { cmd: 'close' }.
 */
import { ChaosNode } from '../support/chaos-node';
import { seededRandom } from '../support/registry-probe';

let node: ChaosNode | undefined;

type Command = { cmd: string; id?: string; endpoints?: string[]; prefix?: string; seed?: number };

// handle() sends its own errors back to the parent as an 'error' message; nothing awaits it.
process.on('message', (msg: Command) => void handle(msg));

async function handle(msg: Command): Promise<void> {
  try {
    if (msg.cmd === 'start') {
      node = new ChaosNode(msg.id!, msg.endpoints!, msg.prefix!, seededRandom(msg.seed!));
      await node.start();
      process.send!({ cmd: 'started' });
    } else if (msg.cmd === 'report') {
      process.send!({ cmd: 'report', report: node!.report() });
    } else if (msg.cmd === 'quiesce') {
      process.send!({ cmd: 'quiesced', report: await node!.quiesce() });
    } else if (msg.cmd === 'close') {
      await node?.close();
      process.send!({ cmd: 'closed' }, () => process.exit(0));
    }
  } catch (e) {
    process.send!({ cmd: 'error', message: (e as Error).stack ?? String(e) });
  }
}
process.on('disconnect', () => process.exit(0));
