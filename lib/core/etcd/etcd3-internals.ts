import { readFileSync } from 'fs';
import { RegistryError } from '../errors';
import { messages } from '../messages';

/** The etcd3 release the patches in this folder were written against and tested with. */
export const TESTED_ETCD3 = '1.1.2';

/**
 * The installed etcd3 lacks a private part that a patch in lib/core/etcd/ relies on (another
 * release changed it). Thrown when the client is created, rather than letting the patch do
 * nothing: `patch` names it, `etcd3Version` is the installed release.
 */
export class Etcd3InternalsError extends RegistryError {
  constructor(
    readonly patch: string,
    readonly etcd3Version: string,
    missing: string,
  ) {
    super(messages.etcd3Internals(patch, etcd3Version, TESTED_ETCD3, missing));
  }
}

/** The installed etcd3's version ('unknown' if its package.json cannot be read). */
export function etcd3Version(): string {
  try {
    const pkg = JSON.parse(readFileSync(require.resolve('etcd3/package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Throws an Etcd3InternalsError for `patch` when `missing` names what is missing. */
export function requireInternals(patch: string, missing: string | undefined): void {
  if (missing !== undefined) throw new Etcd3InternalsError(patch, etcd3Version(), missing);
}
