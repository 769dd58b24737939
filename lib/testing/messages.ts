/** Every message the testing kit writes, in one place. */
export const testingMessages = {
  heldByThisRegistry: (path: string) =>
    `${JSON.stringify(path)} is registered by this InMemoryRegistry: addInstance() stands for another instance; use another path.`,
  heldByARegistry: (path: string) =>
    `${JSON.stringify(path)} is registered by an InMemoryRegistry on this InMemoryEtcd: addInstance() stands for another instance; use another path.`,
  badTtl: (value: unknown) => `InMemoryEtcd option "ttlSeconds" must be an integer >= 1; got ${JSON.stringify(value)}.`,
  notAnotherInstance: (helper: string, path: string) =>
    `${helper}(${JSON.stringify(path)}): no other instance holds this path; add it first with addInstance().`,
  badDuration: (value: unknown) => `advanceTime(ms) needs a finite number of milliseconds >= 0; got ${JSON.stringify(value)}.`,
} as const;
