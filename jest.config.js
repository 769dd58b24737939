/** @type {import('jest').Config} */
const shared = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  rootDir: __dirname,
  testTimeout: 30_000,
  // The package's names, as users import them (README examples run verbatim against the source).
  moduleNameMapper: {
    '^nestjs-etcd-registry$': '<rootDir>/lib/index.ts',
    '^nestjs-etcd-registry/core$': '<rootDir>/lib/core/index.ts',
    '^nestjs-etcd-registry/testing$': '<rootDir>/lib/testing/index.ts',
    '^nestjs-etcd-registry/testing/etcd$': '<rootDir>/lib/testing/etcd/index.ts',
    '^nestjs-etcd-registry/axios$': '<rootDir>/lib/axios/index.ts',
    '^nestjs-etcd-registry/microservices$': '<rootDir>/lib/microservices/index.ts',
    '^nestjs-etcd-registry/dashboard$': '<rootDir>/lib/dashboard/index.ts',
  },
};

/** Specs against a real etcd retry a failed test once, printing the first failure (test/support/retry-once.setup.ts). */
const RETRY_ONCE = ['<rootDir>/test/support/retry-once.setup.ts'];

module.exports = {
  testTimeout: 30_000,
  // On 2 cores Jest would run every spec inside its own process (one worker or less). A memory
  // limit makes it use a worker process instead (still one spec at a time here, as the fault
  // tests want), so whatever a spec leaves open ends with that worker and never holds Jest up.
  workerIdleMemoryLimit: '1GB',
  // Each integration spec starts its own etcd on free loopback ports.
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.spec.ts'] },
    { ...shared, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.spec.ts'], setupFilesAfterEnv: RETRY_ONCE },
    { ...shared, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.spec.ts'], setupFilesAfterEnv: RETRY_ONCE },
    { ...shared, displayName: 'faults', testMatch: ['<rootDir>/test/faults/**/*.spec.ts'], setupFilesAfterEnv: RETRY_ONCE },
    // Go programs (built once per source version, see test/support/go-programs.ts) against our registry.
    { ...shared, displayName: 'interop', testMatch: ['<rootDir>/test/interop/**/*.spec.ts'], setupFilesAfterEnv: RETRY_ONCE },
    // Builds and packs the package (npm pack --dry-run), then checks what a user would install.
    { ...shared, displayName: 'package', testMatch: ['<rootDir>/test/package/**/*.spec.ts'] },
  ],
};
