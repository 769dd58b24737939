/**
 * The check each optional wing's CommonJS entry runs first (prepended by scripts/esm-entries.mjs):
 * a missing optional peer is a clear error naming the packages and the install command, thrown
 * before any of the wing's modules loads. The ESM entry loads the wing through require, so a caught
 * `await import('nestjs-etcd-registry/axios')` rejects with this error and the process goes on.
 */
export class OptionalPeerMissingError extends Error {
  constructor(
    readonly entry: string,
    readonly missing: readonly string[],
  ) {
    super(
      `${entry} needs ${missing.join(' and ')}, not installed here: run \`npm install ${missing.join(' ')}\` ` +
        `(or leave ${entry} unimported; the rest of nestjs-etcd-registry works without ${missing.length > 1 ? 'them' : 'it'}).`,
    );
    this.name = 'OptionalPeerMissingError';
  }
}

/** Throws an OptionalPeerMissingError when a package of `peers` cannot be resolved from here. */
export function requireOptionalPeers(entry: string, peers: readonly string[]): void {
  const missing = peers.filter((peer) => {
    try {
      require.resolve(peer);
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length > 0) throw new OptionalPeerMissingError(entry, missing);
}
