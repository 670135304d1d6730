import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStacksCommand,
  UpdateStackCommand,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import {
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketTaggingCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCloud, type TestAccount, type TestCloud } from '../s3/test-support.ts';

let cloud: TestCloud;
let account: TestAccount;
let cfn: CloudFormationClient;
let s3: S3Client;

beforeAll(async () => {
  cloud = await startTestCloud();
  await cloud.harness.admin('POST', '/_localcloud/cloudformation/settings', {
    resourceDelayMs: 10,
  });
  account = await cloud.account('buckets');
  cfn = new CloudFormationClient(cloud.harness.clientConfig(account));
  s3 = new S3Client({ ...cloud.harness.clientConfig(account), forcePathStyle: true });
});
afterAll(async () => {
  cfn?.destroy();
  s3?.destroy();
  await cloud?.stop();
});

async function settled(stackName: string): Promise<Stack> {
  for (let i = 0; i < 400; i++) {
    const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = Stacks?.[0];
    if (stack && !stack.StackStatus?.endsWith('_IN_PROGRESS')) return stack;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${stackName} did not settle`);
}

const template = (options: { days: number; publicAccessBlock: boolean; retain: boolean }) =>
  JSON.stringify({
    Parameters: { Days: { Type: 'Number', Default: options.days } },
    Resources: {
      Results: {
        Type: 'AWS::S3::Bucket',
        ...(options.retain ? { DeletionPolicy: 'Retain' } : {}),
        Properties: {
          BucketName: { 'Fn::Sub': '${AWS::StackName}-results' },
          BucketEncryption: {
            ServerSideEncryptionConfiguration: [
              { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: true },
            ],
          },
          ...(options.publicAccessBlock
            ? {
                PublicAccessBlockConfiguration: {
                  BlockPublicAcls: true,
                  BlockPublicPolicy: true,
                  IgnorePublicAcls: true,
                  RestrictPublicBuckets: true,
                },
              }
            : {}),
          OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
          LifecycleConfiguration: {
            Rules: [
              {
                Id: 'expire',
                Status: 'Enabled',
                Prefix: 'results/',
                ExpirationInDays: { Ref: 'Days' },
                AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
              },
            ],
          },
          Tags: [{ Key: 'team', Value: 'data' }],
        },
      },
    },
    Outputs: {
      Name: { Value: { Ref: 'Results' } },
      Arn: { Value: { 'Fn::GetAtt': ['Results', 'Arn'] } },
    },
  });

describe('AWS::S3::Bucket', () => {
  it('creates the bucket with its configurations, updates them in place, and deletes it', async () => {
    const StackName = 'bucket-stack';
    await cfn.send(
      new CreateStackCommand({
        StackName,
        TemplateBody: template({ days: 7, publicAccessBlock: true, retain: false }),
      }),
    );
    const created = await settled(StackName);
    expect(created.StackStatus, created.StackStatusReason).toBe('CREATE_COMPLETE');
    const Bucket = `${StackName}-results`;
    expect(created.Outputs?.map((o) => [o.OutputKey, o.OutputValue])).toEqual(
      expect.arrayContaining([
        ['Name', Bucket],
        ['Arn', `arn:aws:s3:::${Bucket}`],
      ]),
    );
    expect(
      (await s3.send(new GetBucketEncryptionCommand({ Bucket }))).ServerSideEncryptionConfiguration
        ?.Rules,
    ).toEqual([
      { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: true },
    ]);
    expect(
      (await s3.send(new GetPublicAccessBlockCommand({ Bucket }))).PublicAccessBlockConfiguration,
    ).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(
      (await s3.send(new GetBucketOwnershipControlsCommand({ Bucket }))).OwnershipControls?.Rules,
    ).toEqual([{ ObjectOwnership: 'BucketOwnerEnforced' }]);
    expect((await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket }))).Rules).toEqual([
      {
        ID: 'expire',
        Status: 'Enabled',
        Filter: { Prefix: 'results/' },
        Expiration: { Days: 7 },
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
      },
    ]);
    expect((await s3.send(new GetBucketTaggingCommand({ Bucket }))).TagSet).toEqual([
      { Key: 'team', Value: 'data' },
    ]);

    // A new retention and no public access block: updated in place, the same bucket.
    await s3.send(new PutObjectCommand({ Bucket, Key: 'results/kept.parquet', Body: 'x' }));
    await cfn.send(
      new UpdateStackCommand({
        StackName,
        TemplateBody: template({ days: 3, publicAccessBlock: false, retain: false }),
      }),
    );
    const updated = await settled(StackName);
    expect(updated.StackStatus, updated.StackStatusReason).toBe('UPDATE_COMPLETE');
    expect(
      (await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket }))).Rules?.[0]
        ?.Expiration,
    ).toEqual({ Days: 3 });
    await expect(s3.send(new GetPublicAccessBlockCommand({ Bucket }))).rejects.toMatchObject({
      name: 'NoSuchPublicAccessBlockConfiguration',
    });
    await s3.send(new HeadBucketCommand({ Bucket }));

    // S3 refuses to delete a bucket that holds objects: the stack fails to delete, as on AWS.
    await cfn.send(new DeleteStackCommand({ StackName }));
    const failed = await settled(StackName);
    expect(failed.StackStatus).toBe('DELETE_FAILED');
    expect(failed.StackStatusReason ?? '').toMatch(/Results/);
    await s3.send(new HeadBucketCommand({ Bucket }));
  });

  it('keeps a retained bucket, objects and all, when its stack is deleted', async () => {
    const StackName = 'retained-stack';
    await cfn.send(
      new CreateStackCommand({
        StackName,
        TemplateBody: template({ days: 7, publicAccessBlock: true, retain: true }),
      }),
    );
    expect((await settled(StackName)).StackStatus).toBe('CREATE_COMPLETE');
    const Bucket = `${StackName}-results`;
    await s3.send(new PutObjectCommand({ Bucket, Key: 'results/q/part-0.parquet', Body: 'x' }));
    await cfn.send(new DeleteStackCommand({ StackName }));
    const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName }));
    const id = Stacks?.[0]?.StackId ?? '';
    expect((await settled(id)).StackStatus).toBe('DELETE_COMPLETE');
    await s3.send(new HeadBucketCommand({ Bucket }));
    expect(
      (await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket }))).Rules?.[0]?.ID,
    ).toBe('expire');
  });
});
