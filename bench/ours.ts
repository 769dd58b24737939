import { BenchClient, BenchClientOptions, BenchHandler } from './bench-client.interface';

type CreateRegistry = (options: { endpoints: string[]; ttlSeconds?: number }) => Promise<{
  register(path: string, value: string): Promise<void>;
  unregister(path: string): Promise<void>;
  addWatch(
    prefix: string,
    fn: (map: Readonly<Record<string, string>>, changes: { added: readonly string[]; removed: readonly string[] }) => void,
  ): Promise<unknown>;
  close(): Promise<void>;
}>;

/** The core's `createRegistry`, or undefined while lib/core does not export it yet. */
export function loadCreateRegistry(): CreateRegistry | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const core = require('../lib/core') as { createRegistry?: CreateRegistry };
    return typeof core.createRegistry === 'function' ? core.createRegistry : undefined;
  } catch {
    return undefined;
  }
}

/** Our registry (lib/core), as the benchmark drives it. */
export class OursClient implements BenchClient {
  private registry?: Awaited<ReturnType<CreateRegistry>>;

  constructor(private readonly options: BenchClientOptions) {}

  async open(): Promise<this> {
    const createRegistry = loadCreateRegistry();
    if (!createRegistry) throw new Error('lib/core does not export createRegistry yet');
    const { endpoints, ttlSeconds, antiEntropyIntervalMs } = this.options;
    this.registry = await createRegistry({
      endpoints,
      ttlSeconds,
      ...(antiEntropyIntervalMs === undefined ? {} : { antiEntropyIntervalMs }),
    });
    return this;
  }

  register(key: string, value: string): Promise<void> {
    return this.registry!.register(key, value);
  }

  unregister(key: string): Promise<void> {
    return this.registry!.unregister(key);
  }

  async watch(prefix: string, fn: BenchHandler): Promise<void> {
    await this.registry!.addWatch(prefix, fn);
  }

  close(): Promise<void> {
    return this.registry!.close();
  }
}
