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
  /** Throughput: per pair, blocks per round of `throughputBlockCalls` calls per side with `concurrency` in flight. */
  throughputBlocks: Record<PairName, number>;
  throughputBlockCalls: number;
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
   * Each throughput block's ratio (side / fixed): the fixed client's seconds for the block's calls /
   * the side's, the two run next to each other. The block is the unit of the throughput interval.
   */
  throughputBlockRatios: Record<'byName' | 'twin', number[]>;
}
