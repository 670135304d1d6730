/**
 * Two localclouds in one process share nothing: each `start()` has its own services,
 * accounts, state, faults and EC2 timings (from its options, never from the environment).
 */
import { CreateBucketCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeInstancesCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import type { RunInstancesCommandInput } from '@aws-sdk/client-ec2';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, describe, expect, it } from 'vitest';
import { startLocalCloudHarness } from './testing/index.ts';
import type { LocalCloudHarness } from './testing/index.ts';

const started: LocalCloudHarness[] = [];

afterAll(async () => {
  for (const cloud of started) await cloud.stop();
});

async function stateOf(ec2: EC2Client, id: string): Promise<string | undefined> {
  const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  return out.Reservations?.[0]?.Instances?.[0]?.State?.Name;
}

describe('start()', () => {
  it('runs two independent clouds in one process, each with its own options', async () => {
    // An environment variable the command would read: start() must not.
    const before = process.env['LOCALCLOUD_EC2_PENDING_MS'];
    process.env['LOCALCLOUD_EC2_PENDING_MS'] = '600000';
    try {
      started.push(await startLocalCloudHarness({ ec2: { timings: { pendingMs: 50 } } }));
      started.push(await startLocalCloudHarness({ ec2: { timings: { pendingMs: 600_000 } } }));
    } finally {
      if (before === undefined) delete process.env['LOCALCLOUD_EC2_PENDING_MS'];
      else process.env['LOCALCLOUD_EC2_PENDING_MS'] = before;
    }
    const [fast, slow] = started as [LocalCloudHarness, LocalCloudHarness];
    expect(fast.url).not.toBe(slow.url);
    const fastAccount = await fast.createAccount('one');
    const slowAccount = await slow.createAccount('two');

    // Accounts and credentials: each cloud knows only its own.
    const foreign = await new STSClient(slow.clientConfig(fastAccount))
      .send(new GetCallerIdentityCommand({}))
      .then(
        () => 'accepted',
        (error: { name: string }) => error.name,
      );
    expect(foreign).toBe('InvalidClientTokenId');

    // S3 (one s3rver each): the same global bucket name exists once in each cloud.
    const fastS3 = new S3Client(fast.clientConfig(fastAccount));
    const slowS3 = new S3Client(slow.clientConfig(slowAccount));
    await fastS3.send(new CreateBucketCommand({ Bucket: 'same-name' }));
    await slowS3.send(new CreateBucketCommand({ Bucket: 'same-name' }));
    expect((await slowS3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name)).toEqual([
      'same-name',
    ]);

    // Faults: one cloud's fault never fires in the other.
    const fault = await slow.addFault({ service: 'sts', error: 'Throttling' });
    await new STSClient(fast.clientConfig(fastAccount)).send(new GetCallerIdentityCommand({}));
    const throttled = await new STSClient(slow.clientConfig(slowAccount))
      .send(new GetCallerIdentityCommand({}))
      .then(
        () => 'ok',
        (error: { name: string }) => error.name,
      );
    expect(throttled).toBe('Throttling');
    expect(await slow.faultFired(fault.id)).toBe(1);
    await slow.clearFaults();

    // EC2 timings come from each cloud's options: one boots at once, the other stays pending.
    const run: RunInstancesCommandInput = {
      ImageId: 'ami-0abcdef1234567890',
      InstanceType: 't3.micro',
      MinCount: 1,
      MaxCount: 1,
    };
    const fastEc2 = new EC2Client(fast.clientConfig(fastAccount));
    const slowEc2 = new EC2Client(slow.clientConfig(slowAccount));
    const fastId =
      (await fastEc2.send(new RunInstancesCommand(run))).Instances?.[0]?.InstanceId ?? '';
    const slowId =
      (await slowEc2.send(new RunInstancesCommand(run))).Instances?.[0]?.InstanceId ?? '';
    const deadline = Date.now() + 20_000;
    while ((await stateOf(fastEc2, fastId)) !== 'running') {
      if (Date.now() > deadline) throw new Error('the fast cloud never booted its instance');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await stateOf(slowEc2, slowId)).toBe('pending');
    // Each cloud sees its own instance only.
    expect(
      (await slowEc2.send(new DescribeInstancesCommand({}))).Reservations?.flatMap(
        (r) => r.Instances?.map((i) => i.InstanceId) ?? [],
      ),
    ).toEqual([slowId]);

    // Stopping one leaves the other serving.
    await fast.stop();
    started.shift();
    expect((await slowS3.send(new ListBucketsCommand({}))).Buckets).toHaveLength(1);
  }, 60_000);
});
