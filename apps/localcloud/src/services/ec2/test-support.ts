/**
 * A running localcloud with IAM, STS and EC2 (fast instance timings) for this folder's
 * tests, accounts made through the admin API, and SDK client configuration.
 */
import { startServer, type RunningServer } from '../../core/server.ts';
import { createLogger } from '../../core/logger.ts';
import type { ServiceDefinition } from '../../core/contract.ts';
import { iamService } from '../iam/index.ts';
import { stsService } from '../sts/index.ts';
import { createEc2Service, type Ec2ServiceOptions } from './index.ts';
import type { Supervisor } from './supervisor.ts';
import {
  clientConfigFor,
  createAdminClient,
  type TestAccount,
} from '../../testing/localcloud-harness.ts';

export type { TestAccount };
export { errorOf } from '../../testing/error-of.ts';

export interface Ec2TestCloud {
  url: string;
  server: RunningServer;
  supervisor: Supervisor;
  account(name?: string): Promise<TestAccount>;
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  config(
    c: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
    region?: string,
  ): {
    endpoint: string;
    region: string;
    credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
    maxAttempts: number;
  };
  stop(): Promise<void>;
}

export const FAST_TIMINGS = {
  pendingMs: 50,
  stoppingMs: 50,
  shuttingDownMs: 50,
  terminatedRetentionMs: 60_000,
  killGraceMs: 500,
};

export async function startEc2TestCloud(
  options: Ec2ServiceOptions & { stateDir?: string; extra?: ServiceDefinition[] } = {},
): Promise<Ec2TestCloud> {
  const ec2 = createEc2Service({ ...options, timings: { ...FAST_TIMINGS, ...options.timings } });
  const server = await startServer({
    port: 0,
    stateDir: options.stateDir,
    services: [iamService, stsService, ...(options.extra ?? []), ec2],
    log: createLogger(process.env['LOCALCLOUD_TEST_LOG'] === 'debug' ? 'debug' : 'silent'),
  });
  const { admin, createAccount } = createAdminClient(server.url);
  return {
    url: server.url,
    server,
    supervisor: ec2.supervisor,
    admin,
    account: createAccount,
    config: (c, region) => clientConfigFor(server.url, c, region),
    stop: () => server.stop(),
  };
}

/** Polls until `check` returns a value (not undefined) or the timeout passes. */
export async function waitFor<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 10_000,
  everyMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** EC2's Tags list as a map. */
export function tagMap(
  tags: { Key?: string; Value?: string }[] | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) if (t.Key !== undefined) out[t.Key] = t.Value ?? '';
  return out;
}
