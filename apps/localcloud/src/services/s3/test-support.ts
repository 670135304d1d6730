/**
 * The whole localcloud (core harness) for S3, Kinesis and CloudFormation tests, with
 * accounts made through the admin API.
 */
import { startLocalCloudHarness } from '../../testing/index.ts';
import type { LocalCloudHarness, TestAccount } from '../../testing/index.ts';

export type { TestAccount };

export interface TestCloud {
  url: string;
  harness: LocalCloudHarness;
  account(name?: string): Promise<TestAccount>;
  stop(): Promise<void>;
}

export async function startTestCloud(options: { stateDir?: string } = {}): Promise<TestCloud> {
  const harness = await startLocalCloudHarness(options);
  return {
    url: harness.url,
    harness,
    account: (name) => harness.createAccount(name),
    stop: () => harness.stop(),
  };
}

/** A test cloud with the accounts alice and bob, the two sides of most isolation tests. */
export async function startTwoAccountCloud(): Promise<{
  cloud: TestCloud;
  alice: TestAccount;
  bob: TestAccount;
}> {
  const cloud = await startTestCloud();
  return { cloud, alice: await cloud.account('alice'), bob: await cloud.account('bob') };
}
