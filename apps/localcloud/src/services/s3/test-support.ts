/**
 * The whole localcloud (core harness) for this folder's tests, with accounts made through
 * the admin API.
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
