import fc from 'fast-check';
import { EtcdCluster, startEtcdCluster } from '../support/etcd-cluster';
import { EtcdDriver, modelProperty, stallOverBacklogExample, WatcherProcess } from '../support/model-watch';

/**
 * A model-based stress test of a prefix watch (see test/support/model-watch.ts).
 * Short by default (the CI run: a fixed first sequence, a watcher stalled while 2,500 revisions
 * are written, then random ones); `npm run test:model` runs the long one. Environment:
 * FC_SEED / FC_PATH replay a run (printed at the start and on failure), FC_NUM_RUNS and
 * FC_MAX_COMMANDS size it (a seed and path replay the same commands only with the same
 * FC_MAX_COMMANDS), FC_SHRINK=1 shrinks a failure (each attempt replays against etcd: slow) and
 * FC_REPLAY_PATH takes the `replayPath` a shrunk counterexample prints.
 */
const LONG = process.env.MODEL_WATCH_LONG === '1';
const SEED = Number(process.env.FC_SEED ?? Math.floor(Math.random() * 2 ** 31));
const PATH = process.env.FC_PATH;
// A path replays one run (the one it names), unless FC_NUM_RUNS says more.
const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? (PATH ? 1 : LONG ? 40 : 5));
const MAX_COMMANDS = Number(process.env.FC_MAX_COMMANDS ?? (LONG ? 20 : 10));
const SHRINK = process.env.FC_SHRINK === '1';

// A run is up to MAX_COMMANDS commands of at most a few tens of seconds each (a 6 s stall, a 20 s catch-up).
jest.setTimeout(60_000 + NUM_RUNS * MAX_COMMANDS * 30_000);
// A failure is a seed and a path to replay, not a flake to retry (the retry would replay the same seed).
jest.retryTimes(0);

describe('model-based stress of a prefix watch against a 3-member etcd', () => {
  let cluster: EtcdCluster;
  let driver: EtcdDriver;
  let watcher: WatcherProcess;

  /** The command line that replays `path` of this seed (with this run's sizes). */
  const replay = (path?: string) =>
    [`FC_SEED=${SEED}`, path !== undefined ? `FC_PATH=${path}` : '', `FC_MAX_COMMANDS=${MAX_COMMANDS}`, LONG ? 'MODEL_WATCH_LONG=1' : '']
      .filter(Boolean)
      .join(' ') + ' npx jest test/faults/model-watch.spec.ts --selectProjects faults';

  beforeAll(async () => {
    process.stdout.write(`model-watch: seed ${SEED}, ${NUM_RUNS} runs of up to ${MAX_COMMANDS} commands (replay: ${replay(PATH)})\n`);
    watcher = new WatcherProcess();
    cluster = await startEtcdCluster(3);
    driver = new EtcdDriver(cluster);
  });

  afterAll(async () => {
    await watcher?.close();
    driver?.close();
    await cluster?.destroy();
  });

  it(`after every command the watcher is live and equal to etcd at its revision, or says it is not live (seed ${SEED})`, async () => {
    const started = Date.now();
    const property = modelProperty(
      {
        cluster,
        driver,
        watcher,
        report: (lines, failed) => process.stdout.write(`model-watch ${failed ? 'FAILED ' : ''}${lines.join('\n  ')}\n`),
      },
      MAX_COMMANDS,
      process.env.FC_REPLAY_PATH,
    );
    const run = fc.assert(property, {
      seed: SEED,
      path: PATH,
      numRuns: NUM_RUNS,
      endOnFailure: !SHRINK,
      // The first run is always the stall over a backlog of more than 1,000 revisions (paths count it).
      examples: [[stallOverBacklogExample()]],
    });
    await run.catch((e: Error) => {
      const path = /path: "([^"]*)"/.exec(e.message)?.[1];
      process.stdout.write(`model-watch: FAILED, seed ${SEED}, path ${path}; replay: ${replay(path)}\n`);
      throw e;
    });
    process.stdout.write(`model-watch: ${NUM_RUNS} runs passed in ${Math.round((Date.now() - started) / 1000)} s (seed ${SEED})\n`);
  });
});
