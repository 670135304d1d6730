/**
 * A running localcloud with IAM, S3 and Kinesis for this folder's tests, and accounts made
 * through the admin API.
 */
import { startServer } from '../../core/server.ts';
import type { RunningServer } from '../../core/server.ts';
import { createLogger } from '../../core/logger.ts';
import { iamService } from '../iam/index.ts';
import { createKinesisService } from '../kinesis/kinesis-service.ts';
import { createS3Service } from './s3-service.ts';
import type { ServiceDefinition } from '../../core/contract.ts';

export interface TestAccount {
  accountId: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface TestCloud {
  url: string;
  server: RunningServer;
  account(name?: string): Promise<TestAccount>;
  stop(): Promise<void>;
}

export async function startTestCloud(extra: ServiceDefinition[] = []): Promise<TestCloud> {
  const server = await startServer({
    port: 0,
    services: [iamService, ...extra, createS3Service(), createKinesisService({ transitionMs: 10 })],
    log: createLogger(process.env['LOCALCLOUD_TEST_LOG'] === 'debug' ? 'debug' : 'silent'),
  });
  return {
    url: server.url,
    server,
    async account(name) {
      const response = await fetch(`${server.url}/_localcloud/accounts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(name === undefined ? {} : { name }),
      });
      if (response.status !== 201) throw new Error(`account creation failed: ${response.status}`);
      return (await response.json()) as TestAccount;
    },
    stop: () => server.stop(),
  };
}
