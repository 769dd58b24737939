import type { CliIo } from './cli-io';
import { exitCodeOf, isAuthRequired } from './cli-errors';
import { CliEnv, CliOptions, parseCliOptions, wantsHelp, wantsVersion } from './cli-options';
import { packageVersion } from './cli-version';
import { lsCommand } from './commands/ls.command';
import { ExitCode } from './exit-codes';
import { cliMessages, oneLine, withCliOptionNames } from './messages';

// `ls` and `get` read once through the core's PrefixReader, which loads neither etcd3 nor
// protobufjs (about 100 ms of a start); `watch` and `doctor` need the full client: loaded when run.
// `get` is loaded when run too, so that `ls` loads no codec before its read is under way (ls.command.ts).
const COMMANDS: Record<CliOptions['command'], (options: CliOptions, io: CliIo) => Promise<ExitCode>> = {
  ls: lsCommand,
  get: async (options, io) => (await import('./commands/get.command')).getCommand(options, io),
  watch: async (options, io) => (await import('./commands/watch.command')).watchCommand(options, io),
  doctor: async (options, io) => (await import('./commands/doctor.command')).doctorCommand(options, io),
};

/**
 * The CLI as a function: parses `argv` (without node and the script) with `env` as fallback, runs
 * the command, and resolves with the exit code. Never throws: every error is printed (one line,
 * naming what was wrong and the fix, in the CLI's flags and variables) and turned into its exit code.
 */
export async function runCli(argv: readonly string[], env: CliEnv, io: CliIo): Promise<ExitCode> {
  if (wantsHelp(argv)) {
    io.out(cliMessages.usage());
    return ExitCode.ok;
  }
  if (wantsVersion(argv)) {
    io.out(packageVersion());
    return ExitCode.ok;
  }
  try {
    const options = parseCliOptions(argv, env);
    return await COMMANDS[options.command](options, io);
  } catch (e) {
    const code = exitCodeOf(e);
    const message = isAuthRequired(e) ? cliMessages.authRequired() : withCliOptionNames(e instanceof Error ? e.message : String(e));
    io.err(`nestjs-etcd-registry: ${oneLine(message)}`);
    if (code === ExitCode.usage) io.err(cliMessages.seeHelp());
    return code;
  }
}
