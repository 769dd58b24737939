export { runCli } from './cli';
export type { CliIo } from './cli-io';
export { ExitCode } from './exit-codes';
