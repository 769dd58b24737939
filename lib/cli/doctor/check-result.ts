import { ExitCode } from '../exit-codes';

export type CheckOutcome = 'ok' | 'warn' | 'fail' | 'skip';

/** One line of `doctor`. */
export interface CheckResult {
  readonly check: string;
  readonly outcome: CheckOutcome;
  readonly detail: string;
  /** On `fail`: what it means for the exit status (unreachable, denied, or failed). */
  readonly code?: ExitCode;
}

export const ok = (check: string, detail: string): CheckResult => ({ check, outcome: 'ok', detail });
export const warn = (check: string, detail: string): CheckResult => ({ check, outcome: 'warn', detail });
export const skip = (check: string, detail: string): CheckResult => ({ check, outcome: 'skip', detail });
export const fail = (check: string, detail: string, code: ExitCode = ExitCode.failed): CheckResult => ({
  check,
  outcome: 'fail',
  detail,
  code,
});

/** The exit status of a doctor run: 3 (unreachable) over 4 (auth, permission) over 1 (any other failure); 0 when nothing failed. */
export function doctorExitCode(results: readonly CheckResult[]): ExitCode {
  const codes = new Set(results.filter((r) => r.outcome === 'fail').map((r) => r.code ?? ExitCode.failed));
  for (const code of [ExitCode.unreachable, ExitCode.denied, ExitCode.failed]) if (codes.has(code)) return code;
  return ExitCode.ok;
}

/** The message of an etcd3/gRPC error without the status code gRPC puts in front. */
export function reason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text
    .replace(/^\d+ [A-Z_]+: /, '')
    .replace(/\.? *Resolution note:.*$/s, '')
    .trim();
}

/** Rejects with a timeout error once `ms` have passed (the work itself is not cancelled). */
export function within<T>(ms: number, work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
