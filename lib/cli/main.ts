#!/usr/bin/env node
import { runCli } from './cli';
import { endQuietlyWhenStdoutCloses, processIo } from './cli-io';

// `npx nestjs-etcd-registry ...`: the exit code is set, and the process ends once the command
// has closed its etcd client (nothing of it is left running).
// runCli turns every error into a message and an exit code; were it ever to reject, Node's own
// unhandled-rejection report and exit code 1 are the right end, hence `void` and no catch here.
endQuietlyWhenStdoutCloses();
void runCli(process.argv.slice(2), process.env, processIo).then((code) => {
  process.exitCode = code;
  // Nothing of the command is left running (its client is closed): end now rather than let Node
  // first finish the garbage collection V8 may have started meanwhile (about 6 ms of a
  // 10,000-key `ls`). Only when stdout and stderr hold nothing unwritten (an asynchronous pipe
  // elsewhere than Linux): then the natural end, which waits for them.
  if (process.stdout.writableLength === 0 && process.stderr.writableLength === 0) process.exit(code);
});
