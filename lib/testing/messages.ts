/** Every message the testing kit writes, in one place. */
export const testingMessages = {
  heldByThisRegistry: (path: string) =>
    `${JSON.stringify(path)} is registered by this InMemoryRegistry: addInstance() stands for another instance; use another path.`,
  notAnotherInstance: (helper: string, path: string) =>
    `${helper}(${JSON.stringify(path)}): no other instance holds this path; add it first with addInstance().`,
  badDuration: (value: unknown) => `advanceTime(ms) needs a finite number of milliseconds >= 0; got ${JSON.stringify(value)}.`,
} as const;
