// Two suites: `unit` (pure logic, no processes) and `integration` (against the local stack
// of e2e/stack, which globalSetup brings up when it is not already running).
const shared = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true }] },
  testEnvironment: 'node',
  // The local stack's data (etcd snapshots, Kafka logs) is no business of jest's.
  modulePathIgnorePatterns: ['<rootDir>/.local/'],
};

export default {
  // Global only: jest ignores testTimeout inside a project. Integration tests wait on real processes.
  testTimeout: 120_000,
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/{src,e2e,bench}/**/*.test.ts'],
      testPathIgnorePatterns: ['\\.int\\.test\\.ts$'],
    },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/{src,e2e}/**/*.int.test.ts'],
      globalSetup: '<rootDir>/e2e/stack/jest-global-setup.ts',
      globalTeardown: '<rootDir>/e2e/stack/jest-global-teardown.ts',
    },
  ],
};
