/** Where the CLI writes: stdout for results, stderr for everything else. Lines, newline added. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

/** The process's own streams. */
export const processIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/**
 * A reader that stops reading (`ls | head`, `watch | head`) closes the CLI's stdout: the next
 * write fails with EPIPE. That is the reader saying it has enough, not a failure: the process
 * ends at once, quietly, with exit 0 (as `yes | head` does), so `set -o pipefail` scripts pass.
 * A closed stderr is ignored (nothing left to say it on).
 */
export function endQuietlyWhenStdoutCloses(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') process.exit(0);
    throw error;
  });
  process.stderr.on('error', () => undefined);
}
