import { RegistryArgumentError, RegistryAuthError, RegistryOptionsError, RegistryUnavailableError } from '../core/errors';
import { ExitCode } from './exit-codes';

/** A bad command line or environment: exit 2 with this message and the usage hint. */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}

/** etcd answers "user name is empty" to a call without a token when auth is enabled (the core's RegistryAuthError carries it as its cause). */
export const isAuthRequired = (error: unknown): boolean =>
  error instanceof Error && (/user name is empty/.test(error.message) || isAuthRequired((error as { cause?: unknown }).cause));

/** The exit code an error stands for (see ExitCode). */
export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof CliUsageError || error instanceof RegistryOptionsError) return ExitCode.usage;
  if (error instanceof RegistryArgumentError && error.argument === 'prefix') return ExitCode.usage;
  if (error instanceof RegistryUnavailableError) return ExitCode.unreachable;
  if (error instanceof RegistryAuthError || isAuthRequired(error)) return ExitCode.denied;
  return ExitCode.failed;
}
