import {
  CreateBucketCommand,
  DeleteBucketEncryptionCommand,
  DeleteBucketLifecycleCommand,
  DeleteBucketOwnershipControlsCommand,
  DeletePublicAccessBlockCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketOwnershipControlsCommand,
  GetPublicAccessBlockCommand,
  HeadObjectCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketOwnershipControlsCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, type SdkCredentials } from '../../testing/index.ts';
import { startMotoServer, type MotoServer } from '../../testing/moto-server.ts';
import { compareRuns, type Outcome } from '../../testing/shape-diff.ts';
import { shapeOf } from '../../testing/shape-of.ts';
import { createAwsCli, type AwsCli } from './aws-cli.ts';
import { expiryTime } from './lifecycle-expiry.ts';
import { startTwoAccountCloud, type TestAccount, type TestCloud } from './test-support.ts';

let cloud: TestCloud;
let alice: TestAccount;
let bob: TestAccount;

const client = (url: string, c: SdkCredentials) =>
  new S3Client({
    endpoint: url,
    region: 'us-east-1',
    forcePathStyle: true,
    maxAttempts: 1,
    credentials: c,
  });

beforeAll(async () => {
  ({ cloud, alice, bob } = await startTwoAccountCloud());
});
afterAll(async () => {
  await cloud?.stop();
});

describe('bucket configurations', () => {
  it('gives a new bucket S3’s defaults: SSE-S3, public access blocked, ACLs disabled, no lifecycle', async () => {
    const s3 = client(cloud.url, alice);
    await s3.send(new CreateBucketCommand({ Bucket: 'defaults' }));
    const enc = await s3.send(new GetBucketEncryptionCommand({ Bucket: 'defaults' }));
    expect(enc.ServerSideEncryptionConfiguration?.Rules).toEqual([
      { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: false },
    ]);
    const pab = await s3.send(new GetPublicAccessBlockCommand({ Bucket: 'defaults' }));
    expect(pab.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
    const own = await s3.send(new GetBucketOwnershipControlsCommand({ Bucket: 'defaults' }));
    expect(own.OwnershipControls?.Rules).toEqual([{ ObjectOwnership: 'BucketOwnerEnforced' }]);
    const none = await errorOf(
      s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'defaults' })),
      S3ServiceException,
    );
    expect([none.name, none.$metadata.httpStatusCode]).toEqual([
      'NoSuchLifecycleConfiguration',
      404,
    ]);
    s3.destroy();
  });

  it('puts, gets and deletes each configuration as the SDK sends and parses it', async () => {
    const s3 = client(cloud.url, alice);
    const Bucket = 'configured';
    await s3.send(new CreateBucketCommand({ Bucket, ObjectOwnership: 'ObjectWriter' }));
    expect(
      (await s3.send(new GetBucketOwnershipControlsCommand({ Bucket }))).OwnershipControls,
    ).toEqual({ Rules: [{ ObjectOwnership: 'ObjectWriter' }] });

    await s3.send(
      new PutBucketEncryptionCommand({
        Bucket,
        ServerSideEncryptionConfiguration: {
          Rules: [
            {
              ApplyServerSideEncryptionByDefault: {
                SSEAlgorithm: 'aws:kms',
                KMSMasterKeyID: 'alias/results',
              },
              BucketKeyEnabled: true,
            },
          ],
        },
      }),
    );
    expect(
      (await s3.send(new GetBucketEncryptionCommand({ Bucket }))).ServerSideEncryptionConfiguration,
    ).toEqual({
      Rules: [
        {
          ApplyServerSideEncryptionByDefault: {
            SSEAlgorithm: 'aws:kms',
            KMSMasterKeyID: 'alias/results',
          },
          BucketKeyEnabled: true,
        },
      ],
    });
    await s3.send(new DeleteBucketEncryptionCommand({ Bucket }));
    expect(
      (await s3.send(new GetBucketEncryptionCommand({ Bucket }))).ServerSideEncryptionConfiguration
        ?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm,
    ).toBe('AES256');

    await s3.send(
      new PutPublicAccessBlockCommand({
        Bucket,
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, RestrictPublicBuckets: true },
      }),
    );
    expect(
      (await s3.send(new GetPublicAccessBlockCommand({ Bucket }))).PublicAccessBlockConfiguration,
    ).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: false,
      BlockPublicPolicy: false,
      RestrictPublicBuckets: true,
    });
    await s3.send(new DeletePublicAccessBlockCommand({ Bucket }));
    expect(
      (await errorOf(s3.send(new GetPublicAccessBlockCommand({ Bucket })), S3ServiceException))
        .name,
    ).toBe('NoSuchPublicAccessBlockConfiguration');

    await s3.send(
      new PutBucketOwnershipControlsCommand({
        Bucket,
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      }),
    );
    expect(
      (await s3.send(new GetBucketOwnershipControlsCommand({ Bucket }))).OwnershipControls,
    ).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    await s3.send(new DeleteBucketOwnershipControlsCommand({ Bucket }));
    expect(
      (
        await errorOf(
          s3.send(new GetBucketOwnershipControlsCommand({ Bucket })),
          S3ServiceException,
        )
      ).name,
    ).toBe('OwnershipControlsNotFoundError');

    const rules = [
      {
        ID: 'expire-results',
        Status: 'Enabled' as const,
        Filter: { Prefix: 'results/' },
        Expiration: { Days: 7 },
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
      },
      {
        ID: 'big-tmp',
        Status: 'Disabled' as const,
        Filter: { And: { Prefix: 'tmp/', ObjectSizeGreaterThan: 1024 } },
        Expiration: { Days: 1 },
      },
    ];
    await s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket,
        LifecycleConfiguration: { Rules: rules },
      }),
    );
    expect((await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket }))).Rules).toEqual(
      rules,
    );
    await s3.send(new DeleteBucketLifecycleCommand({ Bucket }));
    expect(
      (
        await errorOf(
          s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket })),
          S3ServiceException,
        )
      ).name,
    ).toBe('NoSuchLifecycleConfiguration');
    s3.destroy();
  });

  it('refuses invalid configurations with S3’s errors, naming what is wrong', async () => {
    const s3 = client(cloud.url, alice);
    const Bucket = 'invalid-configs';
    await s3.send(new CreateBucketCommand({ Bucket }));
    const zeroDays = await errorOf(
      s3.send(
        new PutBucketLifecycleConfigurationCommand({
          Bucket,
          LifecycleConfiguration: {
            Rules: [{ ID: 'x', Status: 'Enabled', Filter: {}, Expiration: { Days: 0 } }],
          },
        }),
      ),
      S3ServiceException,
    );
    expect([zeroDays.name, zeroDays.message]).toEqual([
      'InvalidArgument',
      "'Days' for Expiration action must be a positive integer",
    ]);
    const noAction = await errorOf(
      s3.send(
        new PutBucketLifecycleConfigurationCommand({
          Bucket,
          LifecycleConfiguration: { Rules: [{ ID: 'x', Status: 'Enabled', Filter: {} }] },
        }),
      ),
      S3ServiceException,
    );
    expect(noAction.message).toMatch(/At least one action/);
    const sameId = await errorOf(
      s3.send(
        new PutBucketLifecycleConfigurationCommand({
          Bucket,
          LifecycleConfiguration: {
            Rules: [
              { ID: 'x', Status: 'Enabled', Filter: {}, Expiration: { Days: 1 } },
              { ID: 'x', Status: 'Enabled', Filter: {}, Expiration: { Days: 2 } },
            ],
          },
        }),
      ),
      S3ServiceException,
    );
    expect(sameId.message).toMatch(/Rule ID must be unique/);
    const keyWithAes = await errorOf(
      s3.send(
        new PutBucketEncryptionCommand({
          Bucket,
          ServerSideEncryptionConfiguration: {
            Rules: [
              {
                ApplyServerSideEncryptionByDefault: {
                  SSEAlgorithm: 'AES256',
                  KMSMasterKeyID: 'alias/x',
                },
              },
            ],
          },
        }),
      ),
      S3ServiceException,
    );
    expect(keyWithAes.name).toBe('InvalidArgument');
    s3.destroy();
  });

  it('authorizes each call with its IAM action: another account is denied', async () => {
    const mine = client(cloud.url, alice);
    const theirs = client(cloud.url, bob);
    await mine.send(new CreateBucketCommand({ Bucket: 'alices-results' }));
    for (const call of [
      () => theirs.send(new GetBucketEncryptionCommand({ Bucket: 'alices-results' })),
      () =>
        theirs.send(
          new PutPublicAccessBlockCommand({
            Bucket: 'alices-results',
            PublicAccessBlockConfiguration: { BlockPublicAcls: false },
          }),
        ),
      () => theirs.send(new DeleteBucketLifecycleCommand({ Bucket: 'alices-results' })),
      () => theirs.send(new DeleteBucketOwnershipControlsCommand({ Bucket: 'alices-results' })),
    ]) {
      expect((await errorOf(call(), S3ServiceException)).name).toBe('AccessDenied');
    }
    mine.destroy();
    theirs.destroy();
  });
});

describe('lifecycle expiry', () => {
  it('counts days from creation up to the next midnight UTC, as S3 does', () => {
    const created = Date.parse('2026-01-01T10:30:00Z');
    expect(new Date(expiryTime(created, 7)).toISOString()).toBe('2026-01-09T00:00:00.000Z');
    expect(new Date(expiryTime(Date.parse('2026-01-01T00:00:00Z'), 1)).toISOString()).toBe(
      '2026-01-02T00:00:00.000Z',
    );
  });

  it('removes the objects a rule matches once they are older than its days, and nothing else', async () => {
    const s3 = client(cloud.url, alice);
    const Bucket = 'expiring';
    await s3.send(new CreateBucketCommand({ Bucket }));
    for (const Key of ['results/q1/part-0.parquet', 'keep/data.parquet']) {
      await s3.send(new PutObjectCommand({ Bucket, Key, Body: 'x' }));
    }
    await s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket,
        LifecycleConfiguration: {
          Rules: [
            { ID: 'r', Status: 'Enabled', Filter: { Prefix: 'results/' }, Expiration: { Days: 7 } },
          ],
        },
      }),
    );
    const exists = async (Key: string) => {
      try {
        await s3.send(new HeadObjectCommand({ Bucket, Key }));
        return true;
      } catch {
        return false;
      }
    };
    const early = await cloud.harness.admin('POST', '/_localcloud/s3/lifecycle', {
      advanceDays: 6,
    });
    expect(early.status).toBe(200);
    expect(await exists('results/q1/part-0.parquet')).toBe(true);
    const late = await cloud.harness.admin('POST', '/_localcloud/s3/lifecycle', {
      advanceDays: 8,
    });
    expect((late.body as { buckets: unknown[] }).buckets).toEqual([
      { bucket: Bucket, expired: ['results/q1/part-0.parquet'], abortedUploads: [] },
    ]);
    expect(await exists('results/q1/part-0.parquet')).toBe(false);
    expect(await exists('keep/data.parquet')).toBe(true);
    const bad = await cloud.harness.admin('POST', '/_localcloud/s3/lifecycle', { at: 'soon' });
    expect(bad.status).toBe(400);
    s3.destroy();
  });
});

describe('with awscli (botocore’s s3 model) as the client', () => {
  let cli: AwsCli | undefined;
  afterAll(async () => {
    await cli?.dispose();
  });

  it('round-trips every configuration through awscli', { timeout: 240_000 }, async () => {
    cli = await createAwsCli({ endpoint: cloud.url, ...alice });
    const b = ['--bucket', 'cli-configured'];
    await cli.json(['s3api', 'create-bucket', ...b]);
    await cli.json([
      's3api',
      'put-bucket-lifecycle-configuration',
      ...b,
      '--lifecycle-configuration',
      JSON.stringify({
        Rules: [
          {
            ID: 'expire',
            Status: 'Enabled',
            Filter: { Prefix: 'results/' },
            Expiration: { Days: 7 },
          },
        ],
      }),
    ]);
    expect(await cli.json(['s3api', 'get-bucket-lifecycle-configuration', ...b])).toMatchObject({
      Rules: [
        {
          ID: 'expire',
          Status: 'Enabled',
          Filter: { Prefix: 'results/' },
          Expiration: { Days: 7 },
        },
      ],
    });
    await cli.json([
      's3api',
      'put-public-access-block',
      ...b,
      '--public-access-block-configuration',
      'BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=false,RestrictPublicBuckets=true',
    ]);
    expect(await cli.json(['s3api', 'get-public-access-block', ...b])).toEqual({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        IgnorePublicAcls: true,
        BlockPublicPolicy: false,
        RestrictPublicBuckets: true,
      },
    });
    await cli.json([
      's3api',
      'put-bucket-encryption',
      ...b,
      '--server-side-encryption-configuration',
      JSON.stringify({
        Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      }),
    ]);
    expect(await cli.json(['s3api', 'get-bucket-encryption', ...b])).toEqual({
      ServerSideEncryptionConfiguration: {
        Rules: [
          {
            ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' },
            BucketKeyEnabled: false,
          },
        ],
      },
    });
    await cli.json([
      's3api',
      'put-bucket-ownership-controls',
      ...b,
      '--ownership-controls',
      'Rules=[{ObjectOwnership=BucketOwnerPreferred}]',
    ]);
    expect(await cli.json(['s3api', 'get-bucket-ownership-controls', ...b])).toEqual({
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerPreferred' }] },
    });
  });
});

describe('against moto_server', { timeout: 120_000 }, () => {
  let moto: MotoServer;
  beforeAll(async () => {
    moto = await startMotoServer();
  });
  afterAll(async () => {
    await moto?.stop();
  });

  const Bucket = 'diff-bucket';
  const steps: [string, (s3: S3Client) => Promise<unknown>][] = [
    ['CreateBucket', (s3) => s3.send(new CreateBucketCommand({ Bucket }))],
    [
      'PutBucketEncryption',
      (s3) =>
        s3.send(
          new PutBucketEncryptionCommand({
            Bucket,
            ServerSideEncryptionConfiguration: {
              Rules: [
                {
                  ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' },
                  BucketKeyEnabled: true,
                },
              ],
            },
          }),
        ),
    ],
    ['GetBucketEncryption', (s3) => s3.send(new GetBucketEncryptionCommand({ Bucket }))],
    [
      'PutPublicAccessBlock',
      (s3) =>
        s3.send(
          new PutPublicAccessBlockCommand({
            Bucket,
            PublicAccessBlockConfiguration: {
              BlockPublicAcls: true,
              IgnorePublicAcls: true,
              BlockPublicPolicy: true,
              RestrictPublicBuckets: true,
            },
          }),
        ),
    ],
    ['GetPublicAccessBlock', (s3) => s3.send(new GetPublicAccessBlockCommand({ Bucket }))],
    ['DeletePublicAccessBlock', (s3) => s3.send(new DeletePublicAccessBlockCommand({ Bucket }))],
    ['GetPublicAccessBlock deleted', (s3) => s3.send(new GetPublicAccessBlockCommand({ Bucket }))],
    [
      'PutBucketOwnershipControls',
      (s3) =>
        s3.send(
          new PutBucketOwnershipControlsCommand({
            Bucket,
            OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
          }),
        ),
    ],
    [
      'GetBucketOwnershipControls',
      (s3) => s3.send(new GetBucketOwnershipControlsCommand({ Bucket })),
    ],
    [
      'DeleteBucketOwnershipControls',
      (s3) => s3.send(new DeleteBucketOwnershipControlsCommand({ Bucket })),
    ],
    [
      'GetBucketOwnershipControls deleted',
      (s3) => s3.send(new GetBucketOwnershipControlsCommand({ Bucket })),
    ],
    [
      'GetBucketLifecycleConfiguration none',
      (s3) => s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket })),
    ],
    [
      'PutBucketLifecycleConfiguration',
      (s3) =>
        s3.send(
          new PutBucketLifecycleConfigurationCommand({
            Bucket,
            LifecycleConfiguration: {
              Rules: [
                {
                  ID: 'expire',
                  Status: 'Enabled',
                  Filter: { Prefix: 'results/' },
                  Expiration: { Days: 7 },
                  AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
                },
              ],
            },
          }),
        ),
    ],
    [
      'GetBucketLifecycleConfiguration',
      (s3) => s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket })),
    ],
    ['DeleteBucketLifecycle', (s3) => s3.send(new DeleteBucketLifecycleCommand({ Bucket }))],
    ['DeleteBucketEncryption', (s3) => s3.send(new DeleteBucketEncryptionCommand({ Bucket }))],
  ];

  /** Known differences, each explained in docs/localcloud.md. */
  const knownDifferences: Record<string, string> = {
    // AWS answers PutBucketLifecycleConfiguration with x-amz-transition-default-minimum-object-size.
    'PutBucketLifecycleConfiguration $.TransitionDefaultMinimumObjectSize':
      'moto omits the transition minimum size header on Put',
  };

  it('parses to the same shapes and error codes', async () => {
    const run = async (s3: S3Client) => {
      const out: Record<string, Outcome> = {};
      for (const [name, step] of steps) {
        try {
          const result = (await step(s3)) as Record<string, unknown>;
          const { $metadata: _m, ...rest } = result;
          out[name] = { ok: shapeOf(rest) };
        } catch (e) {
          out[name] = { error: (e as { name: string }).name };
        }
      }
      return out;
    };
    const account = await cloud.account('differential');
    const ours = await run(client(cloud.url, account));
    const theirs = await run(
      client(moto.url, { accessKeyId: 'AKIAMOTOMOTOMOTO0000', secretAccessKey: 'moto' }),
    );
    const { differences, report } = compareRuns(ours, theirs, knownDifferences);
    console.log(`moto differential (s3 bucket configurations): ${report.join('\n')}`);
    expect(Object.keys(differences).sort(), JSON.stringify(differences, null, 1)).toEqual(
      Object.keys(knownDifferences).sort(),
    );
  });
});
