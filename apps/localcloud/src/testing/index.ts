/**
 * `@ferry/localcloud/testing`: what a test needs to run against localcloud — start one in
 * process (loopback, free port, `start()`'s options), create accounts, add faults and read
 * their fired counts, configure AWS SDK v3 clients for it, and read a failed call's error.
 */
export {
  clientConfigFor,
  createAdminClient,
  startLocalCloudHarness,
} from './localcloud-harness.ts';
export { errorOf } from './error-of.ts';
export type { CallError } from './error-of.ts';
export type {
  ClientConfig,
  HarnessOptions,
  LocalCloudHarness,
  SdkCredentials,
  TestAccount,
} from './localcloud-harness.ts';
