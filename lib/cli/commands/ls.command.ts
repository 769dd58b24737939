// Deep imports: the core's index loads etcd3, which a one-shot read does not need (prefix-reader.ts).
import { readInstances } from '../../core/instances/get-instances';
import { createPrefixReader } from '../../core/prefix-reader';
import type { CliIo } from '../cli-io';
import type { CliOptions } from '../cli-options';
import { ExitCode } from '../exit-codes';
import { instanceJson, instanceTable, skippedLines } from '../instance-format';
import { cliMessages } from '../messages';

/** `ls`: one read of the prefix, every instance as a table row (or JSON). */
export async function lsCommand(options: CliOptions, io: CliIo): Promise<ExitCode> {
  const reader = createPrefixReader(options.registry);
  try {
    const map = await readInstances(reader, options.prefix, { codec: options.codec });
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
