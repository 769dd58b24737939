// Deep imports: the core's index loads etcd3, which a one-shot read does not need (prefix-reader.ts).
import { createPrefixReader } from '../../core/prefix-reader';
import type { CliIo } from '../cli-io';
import type { CliOptions } from '../cli-options';
import { ExitCode } from '../exit-codes';
import { cliMessages } from '../messages';

/**
 * What decodes and prints the read's answer (the codecs, the decoder, the table), loaded once the
 * request is on its way: etcd answers meanwhile (about 15 ms for 10,000 keys), which the loading
 * (a few ms of a cold start) would otherwise add to.
 */
const loadOutput = () => Promise.all([import('../../core/instances/get-instances'), import('../instance-format')]);

/** `ls`: one read of the prefix, every instance as a table row (or JSON). */
export async function lsCommand(options: CliOptions, io: CliIo): Promise<ExitCode> {
  const reader = createPrefixReader(options.registry);
  try {
    let output: ReturnType<typeof loadOutput> | undefined;
    const load = () => (output ??= loadOutput());
    const entries = await reader.getEntries(options.prefix, () => void load());
    const [{ readInstances }, { instanceJson, instanceTable, skippedLines }] = await load();
    const map = await readInstances({ getEntries: async () => entries }, options.prefix, {
      codec: options.codec,
      logger: reader.options.logger,
    });
    const instances = map.all();
    if (options.json) {
      io.out(JSON.stringify({ prefix: options.prefix, instances: instances.map(instanceJson), skipped: map.skipped }, null, 2));
      return ExitCode.ok;
    }
    // One write for the whole table: 10,000 rows are one system call, not 10,000.
    if (instances.length === 0) io.err(cliMessages.nothingUnder(options.prefix));
    else io.out(instanceTable(instances));
    if (map.skipped.length > 0) {
      io.err(cliMessages.skipped(map.skipped.length));
      for (const line of skippedLines(map)) io.err(line);
    }
    return ExitCode.ok;
  } finally {
    await reader.close();
  }
}
