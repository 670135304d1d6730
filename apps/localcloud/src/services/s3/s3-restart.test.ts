import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  GetBucketPolicyCommand,
  GetObjectCommand,
  ListBucketsCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  PutRecordCommand,
  waitUntilStreamExists,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../core/logger.ts';
import { startServer } from '../../core/server.ts';
import type { RunningServer } from '../../core/server.ts';
import { iamService } from '../iam/index.ts';
import { createKinesisService } from '../kinesis/kinesis-service.ts';
import { createS3Service } from './s3-service.ts';

const dirs: string[] = [];
const servers: RunningServer[] = [];

afterAll(async () => {
  for (const server of servers) await server.stop();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function boot(stateDir: string): Promise<RunningServer> {
  const server = await startServer({
    port: 0,
    stateDir,
    services: [iamService, createS3Service(), createKinesisService()],
    log: createLogger('silent'),
  });
  servers.push(server);
  return server;
}

describe('S3 and Kinesis across a restart with a state directory', () => {
  it('keeps buckets, owners, policies, objects and stream records', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'localcloud-restart-'));
    dirs.push(stateDir);
    const first = await boot(stateDir);
    const created = await fetch(`${first.url}/_localcloud/accounts`, {
      method: 'POST',
      body: '{}',
    });
    const account = (await created.json()) as {
      accountId: string;
      accessKeyId: string;
      secretAccessKey: string;
    };
    const clients = (url: string) => ({
      s3: new S3Client({
        endpoint: url,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: account,
      }),
      kinesis: new KinesisClient({
        endpoint: url,
        region: 'us-east-1',
        credentials: account,
        requestHandler: new NodeHttpHandler(),
      }),
    });
    const before = clients(first.url);
    await before.s3.send(new CreateBucketCommand({ Bucket: 'kept-bucket' }));
    await before.s3.send(new PutObjectCommand({ Bucket: 'kept-bucket', Key: 'k', Body: 'kept' }));
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:DeleteBucket',
          Resource: 'arn:aws:s3:::kept-bucket',
        },
      ],
    });
    await before.s3.send(new PutBucketPolicyCommand({ Bucket: 'kept-bucket', Policy: policy }));
    await before.kinesis.send(new CreateStreamCommand({ StreamName: 'kept', ShardCount: 1 }));
    await waitUntilStreamExists(
      { client: before.kinesis, maxWaitTime: 10, minDelay: 0.05, maxDelay: 0.1 },
      { StreamName: 'kept' },
    );
    const put = await before.kinesis.send(
      new PutRecordCommand({ StreamName: 'kept', PartitionKey: 'p', Data: Buffer.from('r1') }),
    );
    await first.stop();

    const second = await boot(stateDir);
    const after = clients(second.url);
    const buckets = await after.s3.send(new ListBucketsCommand({}));
    expect(buckets.Buckets?.map((b) => b.Name)).toEqual(['kept-bucket']);
    const got = await after.s3.send(new GetObjectCommand({ Bucket: 'kept-bucket', Key: 'k' }));
    expect(await got.Body?.transformToString()).toBe('kept');
    expect(
      (await after.s3.send(new GetBucketPolicyCommand({ Bucket: 'kept-bucket' }))).Policy,
    ).toBe(policy);
    const summary = await after.kinesis.send(
      new DescribeStreamSummaryCommand({ StreamName: 'kept' }),
    );
    expect(summary.StreamDescriptionSummary?.StreamStatus).toBe('ACTIVE');
    const { ShardIterator } = await after.kinesis.send(
      new GetShardIteratorCommand({
        StreamName: 'kept',
        ShardId: put.ShardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    const records = await after.kinesis.send(new GetRecordsCommand({ ShardIterator }));
    expect(records.Records?.map((r) => Buffer.from(r.Data ?? []).toString())).toEqual(['r1']);
  });
});
