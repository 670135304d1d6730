import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{apps,packages}/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Servers and instance processes are real; two cores is the CI budget.
    maxWorkers: 2,
    // One PostgreSQL server per run for the control plane's dual-backend suites; the AWS
    // journal that checks least privilege over the end-to-end suite.
    globalSetup: [
      'apps/control-plane/src/testing/global-setup.ts',
      'test/e2e/least-privilege-setup.ts',
    ],
  },
});
