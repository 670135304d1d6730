/**
 * Test helpers for localcloud's own tests: in-process server, moto_server oracle, awscli.
 */
export { startLocalCloudHarness } from './localcloud-harness.ts';
export type {
  ClientConfig,
  LocalCloudHarness,
  SdkCredentials,
  TestAccount,
} from './localcloud-harness.ts';
export { freePort, startMotoServer } from './moto-server.ts';
export type { MotoServer } from './moto-server.ts';
export { AWSCLI, runAwsCli } from './run-awscli.ts';
export type { AwsCliResult } from './run-awscli.ts';
