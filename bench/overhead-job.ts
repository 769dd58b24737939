/** What the overhead figure (bench/figures/overhead.ts) and its client process (bench/overhead-client.ts) exchange. */

export type PairName = 'http' | 'tcp' | 'grpc';
/** The client by name, the fixed-address client (the baseline), and a second fixed-address client (the A/A control). */
export type Side = 'byName' | 'fixed' | 'twin';
export const SIDES: readonly Side[] = ['byName', 'fixed', 'twin'];

export interface OverheadJob {
  endpoints: string[];
  prefix: string;
  /** The server's fixed addresses. */
  http: string;
  tcp: { host: string; port: number };
  grpc: string;
  pairs: PairName[];
  rounds: number;
  /** Sequential calls per side per round, in `sequentialBlocks` interleaved blocks. */
  sequentialCalls: number;
  sequentialBlocks: number;
  /** Calls per side per round with `concurrency` in flight, in `throughputBlocks` interleaved blocks. */
  throughputCalls: number;
  throughputBlocks: number;
  concurrency: number;
  warmupCalls: number;
  seed: number;
}

/** One pair in one round: each side's p50 of its sequential calls (ms) and its calls per second. */
export interface OverheadRound {
  pair: PairName;
  round: number;
  p50Ms: Record<Side, number>;
  /** Calls per second over all of the side's throughput blocks. */
  throughput: Record<Side, number>;
  /**
   * The round's throughput ratio (side / fixed): the median over its blocks of the block's ratio (the
   * fixed client's seconds for the block's calls / the side's, run next to each other), so that one
   * block hit by a pause of the shared machine does not move the round's figure.
   */
  throughputRatio: Record<Side, number>;
}
