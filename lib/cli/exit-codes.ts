/** What the CLI's exit status means; scripts can rely on these (docs/operating.md, "Command line"). */
export const ExitCode = {
  /** Done; for `doctor`, every check passed (warnings allowed). */
  ok: 0,
  /** A `doctor` check failed, `get` found nothing, or another error. */
  failed: 1,
  /** Bad command, option or environment variable: nothing was sent to etcd. */
  usage: 2,
  /** etcd did not answer (no endpoint reachable within the timeout). */
  unreachable: 3,
  /** etcd refused the credentials, requires credentials, or the user lacks permission on the prefix. */
  denied: 4,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
