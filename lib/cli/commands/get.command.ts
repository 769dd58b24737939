// Deep imports: the core's index loads etcd3, which a one-shot read does not need (prefix-reader.ts).
import { readInstances } from '../../core/instances/get-instances';
import { createPrefixReader } from '../../core/prefix-reader';
import type { CliIo } from '../cli-io';
import type { CliOptions } from '../cli-options';
import { ExitCode } from '../exit-codes';
import { instanceDetail, instanceJson, printable } from '../instance-format';
import { cliMessages } from '../messages';

/** `get <service>` (every instance of it) or `get <service>/<id>` (that one), with every field. Exit 1 when none. */
export async function getCommand(options: CliOptions, io: CliIo): Promise<ExitCode> {
  const target = options.target!;
  const slash = target.indexOf('/');
  const [name, id] = slash === -1 ? [target, undefined] : [target.slice(0, slash), target.slice(slash + 1)];
  const reader = createPrefixReader(options.registry);
  try {
    // The codec names services and ids (gRPC naming, kratos...): read the prefix, then pick.
    const map = await readInstances(reader, options.prefix, { codec: options.codec });
    const found = (map.get(name) ?? []).filter((i) => id === undefined || i.id === id);
    if (found.length === 0) {
      io.err(cliMessages.notFound(printable(target), options.prefix));
      if (options.json) io.out('[]');
      return ExitCode.failed;
    }
    if (options.json) io.out(JSON.stringify(found.map(instanceJson), null, 2));
    else found.forEach((instance, n) => [...(n > 0 ? [''] : []), ...instanceDetail(instance)].forEach((line) => io.out(line)));
    return ExitCode.ok;
  } finally {
    await reader.close();
  }
}
