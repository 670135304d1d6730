import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteBucketPolicyCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketLocationCommand,
  GetBucketPolicyCommand,
  GetBucketTaggingCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutBucketPolicyCommand,
  PutBucketTaggingCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf } from '../../testing/index.ts';
import { startTwoAccountCloud } from './test-support.ts';
import type { TestAccount, TestCloud } from './test-support.ts';

let cloud: TestCloud;
let alice: TestAccount;
let bob: TestAccount;

function s3(account: Pick<TestAccount, 'accessKeyId' | 'secretAccessKey'>): S3Client {
  return new S3Client({
    endpoint: cloud.url,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: account.accessKeyId, secretAccessKey: account.secretAccessKey },
  });
}

beforeAll(async () => {
  ({ cloud, alice, bob } = await startTwoAccountCloud());
});

afterAll(async () => {
  await cloud?.stop();
});

describe('S3 through localcloud', () => {
  it('creates, lists, locates and deletes buckets per account, with global names', async () => {
    const a = s3(alice);
    const b = s3(bob);
    await a.send(new CreateBucketCommand({ Bucket: 'alice-crud' }));
    await b.send(
      new CreateBucketCommand({
        Bucket: 'bob-crud',
        CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' },
      }),
    );
    await a.send(new HeadBucketCommand({ Bucket: 'alice-crud' }));

    const aliceBuckets = (await a.send(new ListBucketsCommand({}))).Buckets?.map((x) => x.Name);
    expect(aliceBuckets).toContain('alice-crud');
    expect(aliceBuckets).not.toContain('bob-crud');

    expect(
      (await b.send(new GetBucketLocationCommand({ Bucket: 'bob-crud' }))).LocationConstraint,
    ).toBe('eu-west-1');
    expect(
      (await a.send(new GetBucketLocationCommand({ Bucket: 'alice-crud' }))).LocationConstraint,
    ).toBeUndefined();

    expect(
      (await errorOf(a.send(new CreateBucketCommand({ Bucket: 'alice-crud' })), S3ServiceException))
        .name,
    ).toBe('BucketAlreadyOwnedByYou');
    expect(
      (await errorOf(b.send(new CreateBucketCommand({ Bucket: 'alice-crud' })), S3ServiceException))
        .name,
    ).toBe('BucketAlreadyExists');
    expect(
      (await errorOf(a.send(new CreateBucketCommand({ Bucket: 'Bad_Name' })), S3ServiceException))
        .name,
    ).toBe('InvalidBucketName');

    await a.send(new PutObjectCommand({ Bucket: 'alice-crud', Key: 'x', Body: 'x' }));
    expect(
      (await errorOf(a.send(new DeleteBucketCommand({ Bucket: 'alice-crud' })), S3ServiceException))
        .name,
    ).toBe('BucketNotEmpty');
    await a.send(new DeleteObjectCommand({ Bucket: 'alice-crud', Key: 'x' }));
    await a.send(new DeleteBucketCommand({ Bucket: 'alice-crud' }));
    const missing = await errorOf(
      a.send(new HeadBucketCommand({ Bucket: 'alice-crud' })),
      S3ServiceException,
    );
    expect(missing.$metadata.httpStatusCode).toBe(404);
    // The name is free again, for anyone.
    await b.send(new CreateBucketCommand({ Bucket: 'alice-crud' }));

    // Two accounts racing for one name: exactly one gets it.
    const race = await Promise.allSettled([
      a.send(new CreateBucketCommand({ Bucket: 'contested-name' })),
      b.send(new CreateBucketCommand({ Bucket: 'contested-name' })),
    ]);
    expect(race.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('puts, gets, copies and lists objects with prefix, delimiter and continuation tokens', async () => {
    const a = s3(alice);
    await a.send(new CreateBucketCommand({ Bucket: 'alice-data' }));
    const keys = [
      'data/2024/a.csv',
      'data/2024/b.csv',
      'data/2025/c.csv',
      'data/top.csv',
      'x y.txt',
    ];
    for (const key of keys) {
      await a.send(
        new PutObjectCommand({
          Bucket: 'alice-data',
          Key: key,
          Body: `body of ${key}`,
          ContentType: 'text/csv',
          Metadata: { origin: 'test' },
        }),
      );
    }
    const got = await a.send(new GetObjectCommand({ Bucket: 'alice-data', Key: 'x y.txt' }));
    expect(await got.Body?.transformToString()).toBe('body of x y.txt');
    const head = await a.send(new HeadObjectCommand({ Bucket: 'alice-data', Key: 'data/top.csv' }));
    expect(head.ContentLength).toBe('body of data/top.csv'.length);
    expect(head.Metadata).toEqual({ origin: 'test' });

    const level = await a.send(
      new ListObjectsV2Command({ Bucket: 'alice-data', Prefix: 'data/', Delimiter: '/' }),
    );
    expect(level.Contents?.map((o) => o.Key)).toEqual(['data/top.csv']);
    expect(level.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['data/2024/', 'data/2025/']);

    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await a.send(
        new ListObjectsV2Command({ Bucket: 'alice-data', MaxKeys: 2, ContinuationToken: token }),
      );
      seen.push(...(page.Contents ?? []).map((o) => o.Key ?? ''));
      token = page.NextContinuationToken;
      pages += 1;
    } while (token);
    expect(seen).toEqual([...keys].sort());
    expect(pages).toBe(3);

    await a.send(
      new CopyObjectCommand({
        Bucket: 'alice-data',
        Key: 'copy/top.csv',
        CopySource: 'alice-data/data/top.csv',
      }),
    );
    const copied = await a.send(
      new GetObjectCommand({ Bucket: 'alice-data', Key: 'copy/top.csv' }),
    );
    expect(await copied.Body?.transformToString()).toBe('body of data/top.csv');

    const deleted = await a.send(
      new DeleteObjectsCommand({
        Bucket: 'alice-data',
        Delete: { Objects: [{ Key: 'copy/top.csv' }, { Key: 'data/2025/c.csv' }] },
      }),
    );
    expect(deleted.Deleted?.map((d) => d.Key).sort()).toEqual(['copy/top.csv', 'data/2025/c.csv']);
    const missing = await errorOf(
      a.send(new GetObjectCommand({ Bucket: 'alice-data', Key: 'copy/top.csv' })),
      S3ServiceException,
    );
    expect(missing.name).toBe('NoSuchKey');
  });

  it('uploads in parts, lists the parts, completes, and aborts', async () => {
    const a = s3(alice);
    await a.send(new CreateBucketCommand({ Bucket: 'alice-multipart' }));
    const bucket = 'alice-multipart';
    const { UploadId } = await a.send(
      new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'big/file.bin' }),
    );
    const part1 = Buffer.alloc(5 * 1024 * 1024, 1);
    const part2 = Buffer.from('tail');
    const e1 = await a.send(
      new UploadPartCommand({
        Bucket: bucket,
        Key: 'big/file.bin',
        UploadId,
        PartNumber: 1,
        Body: part1,
      }),
    );
    const e2 = await a.send(
      new UploadPartCommand({
        Bucket: bucket,
        Key: 'big/file.bin',
        UploadId,
        PartNumber: 2,
        Body: part2,
      }),
    );
    const parts = await a.send(
      new ListPartsCommand({ Bucket: bucket, Key: 'big/file.bin', UploadId }),
    );
    expect(parts.Parts?.map((p) => [p.PartNumber, p.Size])).toEqual([
      [1, part1.length],
      [2, part2.length],
    ]);
    const wrongEtag = await errorOf(
      a.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: 'big/file.bin',
          UploadId,
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"0000"' }] },
        }),
      ),
      S3ServiceException,
    );
    expect(wrongEtag.name).toBe('InvalidPart');
    await a.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: 'big/file.bin',
        UploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: e1.ETag },
            { PartNumber: 2, ETag: e2.ETag },
          ],
        },
      }),
    );
    const whole = await a.send(new GetObjectCommand({ Bucket: bucket, Key: 'big/file.bin' }));
    const bytes = Buffer.from((await whole.Body?.transformToByteArray()) ?? []);
    expect(bytes.length).toBe(part1.length + part2.length);
    expect(bytes.subarray(-4).toString()).toBe('tail');

    const second = await a.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'gone' }));
    await a.send(
      new UploadPartCommand({
        Bucket: bucket,
        Key: 'gone',
        UploadId: second.UploadId,
        PartNumber: 1,
        Body: 'abc',
      }),
    );
    await a.send(
      new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'gone', UploadId: second.UploadId }),
    );
    const aborted = await errorOf(
      a.send(new ListPartsCommand({ Bucket: bucket, Key: 'gone', UploadId: second.UploadId })),
      S3ServiceException,
    );
    expect(aborted.name).toBe('NoSuchUpload');
  });

  it('serves presigned GET and PUT URLs, and refuses tampered or expired ones', async () => {
    const a = s3(alice);
    await a.send(new CreateBucketCommand({ Bucket: 'alice-presign' }));
    const putUrl = await getSignedUrl(
      a,
      new PutObjectCommand({ Bucket: 'alice-presign', Key: 'up/load.txt' }),
      { expiresIn: 60 },
    );
    const put = await fetch(putUrl, { method: 'PUT', body: 'presigned body' });
    expect(put.status).toBe(200);

    const getUrl = await getSignedUrl(
      a,
      new GetObjectCommand({ Bucket: 'alice-presign', Key: 'up/load.txt' }),
      { expiresIn: 60 },
    );
    const get = await fetch(getUrl);
    expect(get.status).toBe(200);
    expect(await get.text()).toBe('presigned body');

    const tampered = await fetch(
      getUrl.replace('up%2Fload.txt', 'up/other.txt').replace('load.txt', 'other.txt'),
    );
    expect(tampered.status).toBe(403);
    expect(await tampered.text()).toContain('<Code>SignatureDoesNotMatch</Code>');

    const expiredUrl = await getSignedUrl(
      a,
      new GetObjectCommand({ Bucket: 'alice-presign', Key: 'up/load.txt' }),
      { expiresIn: 1, signingDate: new Date(Date.now() - 10_000) },
    );
    const expired = await fetch(expiredUrl);
    expect(expired.status).toBe(403);
  });

  it('rejects a bad signature and an unknown key', async () => {
    const wrongSecret = s3({ accessKeyId: alice.accessKeyId, secretAccessKey: 'not-the-secret' });
    expect(
      (await errorOf(wrongSecret.send(new ListBucketsCommand({})), S3ServiceException)).name,
    ).toBe('SignatureDoesNotMatch');
    const unknown = s3({ accessKeyId: 'AKIAUNKNOWNUNKNOWN00', secretAccessKey: 'x' });
    expect((await errorOf(unknown.send(new ListBucketsCommand({})), S3ServiceException)).name).toBe(
      'InvalidAccessKeyId',
    );
  });

  it('denies a request whose ExpectedBucketOwner is not the owner', async () => {
    const a = s3(alice);
    await a.send(new CreateBucketCommand({ Bucket: 'alice-expected' }));
    await a.send(
      new PutObjectCommand({
        Bucket: 'alice-expected',
        Key: 'k',
        Body: 'v',
        ExpectedBucketOwner: alice.accountId,
      }),
    );
    const denied = await errorOf(
      a.send(
        new GetObjectCommand({
          Bucket: 'alice-expected',
          Key: 'k',
          ExpectedBucketOwner: bob.accountId,
        }),
      ),
      S3ServiceException,
    );
    expect(denied.name).toBe('AccessDenied');
    expect(denied.$metadata.httpStatusCode).toBe(403);
  });

  it('denies cross-account access without a bucket policy and allows what the policy grants', async () => {
    const a = s3(alice);
    const b = s3(bob);
    await a.send(new CreateBucketCommand({ Bucket: 'alice-shared' }));
    await a.send(new PutObjectCommand({ Bucket: 'alice-shared', Key: 'in/report.csv', Body: 'r' }));

    const before = await errorOf(
      b.send(new GetObjectCommand({ Bucket: 'alice-shared', Key: 'in/report.csv' })),
      S3ServiceException,
    );
    expect(before.name).toBe('AccessDenied');
    expect(
      (
        await errorOf(
          b.send(new ListObjectsV2Command({ Bucket: 'alice-shared' })),
          S3ServiceException,
        )
      ).name,
    ).toBe('AccessDenied');

    const malformed = await errorOf(
      a.send(new PutBucketPolicyCommand({ Bucket: 'alice-shared', Policy: '{"Statement": []}' })),
      S3ServiceException,
    );
    expect(malformed.name).toBe('MalformedPolicy');
    const otherBucket = await errorOf(
      a.send(
        new PutBucketPolicyCommand({
          Bucket: 'alice-shared',
          Policy: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Principal: '*',
                Action: 's3:GetObject',
                Resource: 'arn:aws:s3:::elsewhere/*',
              },
            ],
          }),
        }),
      ),
      S3ServiceException,
    );
    expect(otherBucket.name).toBe('MalformedPolicy');

    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'BobReadsIn',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${bob.accountId}:root` },
          Action: 's3:GetObject',
          Resource: 'arn:aws:s3:::alice-shared/in/*',
        },
        {
          Sid: 'BobListsIn',
          Effect: 'Allow',
          Principal: { AWS: bob.accountId },
          Action: 's3:ListBucket',
          Resource: 'arn:aws:s3:::alice-shared',
          Condition: { StringLike: { 's3:prefix': 'in/*' } },
        },
      ],
    });
    await a.send(new PutBucketPolicyCommand({ Bucket: 'alice-shared', Policy: policy }));
    expect((await a.send(new GetBucketPolicyCommand({ Bucket: 'alice-shared' }))).Policy).toBe(
      policy,
    );

    const allowed = await b.send(
      new GetObjectCommand({ Bucket: 'alice-shared', Key: 'in/report.csv' }),
    );
    expect(await allowed.Body?.transformToString()).toBe('r');
    const listed = await b.send(
      new ListObjectsV2Command({ Bucket: 'alice-shared', Prefix: 'in/' }),
    );
    expect(listed.Contents?.map((o) => o.Key)).toEqual(['in/report.csv']);
    expect(
      (
        await errorOf(
          b.send(new ListObjectsV2Command({ Bucket: 'alice-shared', Prefix: 'out/' })),
          S3ServiceException,
        )
      ).name,
    ).toBe('AccessDenied');
    // The policy grants reads only: writes and policy changes stay the owner's.
    expect(
      (
        await errorOf(
          b.send(new PutObjectCommand({ Bucket: 'alice-shared', Key: 'in/x', Body: 'x' })),
          S3ServiceException,
        )
      ).name,
    ).toBe('AccessDenied');
    expect(
      (
        await errorOf(
          b.send(new DeleteBucketPolicyCommand({ Bucket: 'alice-shared' })),
          S3ServiceException,
        )
      ).name,
    ).toBe('AccessDenied');
    // A partly refused DeleteObjects reports the refused key.
    const partial = await b.send(
      new DeleteObjectsCommand({
        Bucket: 'alice-shared',
        Delete: { Objects: [{ Key: 'in/report.csv' }] },
      }),
    );
    expect(partial.Errors?.map((e) => [e.Key, e.Code])).toEqual([
      ['in/report.csv', 'AccessDenied'],
    ]);

    await a.send(new DeleteBucketPolicyCommand({ Bucket: 'alice-shared' }));
    expect(
      (
        await errorOf(
          b.send(new GetObjectCommand({ Bucket: 'alice-shared', Key: 'in/report.csv' })),
          S3ServiceException,
        )
      ).name,
    ).toBe('AccessDenied');
    expect(
      (
        await errorOf(
          a.send(new GetBucketPolicyCommand({ Bucket: 'alice-shared' })),
          S3ServiceException,
        )
      ).name,
    ).toBe('NoSuchBucketPolicy');
  });

  it('stores bucket tags', async () => {
    const a = s3(alice);
    await a.send(new CreateBucketCommand({ Bucket: 'alice-tags' }));
    expect(
      (
        await errorOf(
          a.send(new GetBucketTaggingCommand({ Bucket: 'alice-tags' })),
          S3ServiceException,
        )
      ).name,
    ).toBe('NoSuchTagSet');
    await a.send(
      new PutBucketTaggingCommand({
        Bucket: 'alice-tags',
        Tagging: { TagSet: [{ Key: 'team', Value: 'data' }] },
      }),
    );
    const tags = await a.send(new GetBucketTaggingCommand({ Bucket: 'alice-tags' }));
    expect(tags.TagSet).toEqual([{ Key: 'team', Value: 'data' }]);
  });

  it('lets an assumed role read the bucket its policy names, and no other', async () => {
    const a = s3(alice);
    await a.send(new CreateBucketCommand({ Bucket: 'alice-role-ok' }));
    await a.send(new CreateBucketCommand({ Bucket: 'alice-role-no' }));
    await a.send(new PutObjectCommand({ Bucket: 'alice-role-ok', Key: 'k', Body: 'ok' }));
    await a.send(new PutObjectCommand({ Bucket: 'alice-role-no', Key: 'k', Body: 'no' }));
    const config = cloud.harness.clientConfig(alice);
    const iam = new IAMClient(config);
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'reader',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${alice.accountId}:root` },
              Action: 'sts:AssumeRole',
            },
          ],
        }),
      }),
    );
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'reader',
        PolicyName: 'read-one-bucket',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::alice-role-ok' },
            { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::alice-role-ok/*' },
          ],
        }),
      }),
    );
    const sts = new STSClient(config);
    const { Credentials } = await sts.send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${alice.accountId}:role/reader`,
        RoleSessionName: 'test',
      }),
    );
    const role = new S3Client({
      ...cloud.harness.clientConfig({
        accessKeyId: Credentials?.AccessKeyId ?? '',
        secretAccessKey: Credentials?.SecretAccessKey ?? '',
        sessionToken: Credentials?.SessionToken ?? '',
      }),
    });
    const got = await role.send(new GetObjectCommand({ Bucket: 'alice-role-ok', Key: 'k' }));
    expect(await got.Body?.transformToString()).toBe('ok');
    const listed = await role.send(new ListObjectsV2Command({ Bucket: 'alice-role-ok' }));
    expect(listed.KeyCount).toBe(1);
    expect(
      (
        await errorOf(
          role.send(new GetObjectCommand({ Bucket: 'alice-role-no', Key: 'k' })),
          S3ServiceException,
        )
      ).name,
    ).toBe('AccessDenied');
    expect(
      (
        await errorOf(
          role.send(new PutObjectCommand({ Bucket: 'alice-role-ok', Key: 'w', Body: 'w' })),
          S3ServiceException,
        )
      ).name,
    ).toBe('AccessDenied');
    // Without s3:ListBucket a missing key is AccessDenied, with it NoSuchKey, as in S3.
    expect(
      (
        await errorOf(
          role.send(new GetObjectCommand({ Bucket: 'alice-role-ok', Key: 'nope' })),
          S3ServiceException,
        )
      ).name,
    ).toBe('NoSuchKey');
    expect(
      (
        await errorOf(
          role.send(new GetObjectCommand({ Bucket: 'alice-role-no', Key: 'nope' })),
          S3ServiceException,
        )
      ).name,
    ).toBe('AccessDenied');
  });

  it('fails an operation named by an injected fault, then recovers', async () => {
    const a = new S3Client({ ...cloud.harness.clientConfig(alice) });
    await a.send(new CreateBucketCommand({ Bucket: 'alice-faults' }));
    await a.send(new PutObjectCommand({ Bucket: 'alice-faults', Key: 'k', Body: 'v' }));
    const added = await cloud.harness.admin('POST', '/_localcloud/faults', {
      service: 's3',
      action: 'GetObject',
      error: 'SlowDown',
      count: 1,
    });
    expect(added.status).toBe(201);
    const failed = await errorOf(
      a.send(new GetObjectCommand({ Bucket: 'alice-faults', Key: 'k' })),
      S3ServiceException,
    );
    expect(failed.name).toBe('SlowDown');
    const got = await a.send(new GetObjectCommand({ Bucket: 'alice-faults', Key: 'k' }));
    expect(await got.Body?.transformToString()).toBe('v');
  });

  it('applies an explicit Deny of the bucket policy to the owner account too', async () => {
    const a = s3(alice);
    await a.send(new CreateBucketCommand({ Bucket: 'alice-locked' }));
    await a.send(
      new PutBucketPolicyCommand({
        Bucket: 'alice-locked',
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Deny',
              Principal: '*',
              Action: 's3:PutObject',
              Resource: 'arn:aws:s3:::alice-locked/*',
              Condition: { StringNotEquals: { 's3:x-amz-server-side-encryption': 'AES256' } },
            },
          ],
        }),
      }),
    );
    const denied = await errorOf(
      a.send(new PutObjectCommand({ Bucket: 'alice-locked', Key: 'plain', Body: 'x' })),
      S3ServiceException,
    );
    expect(denied.name).toBe('AccessDenied');
    await a.send(
      new PutObjectCommand({
        Bucket: 'alice-locked',
        Key: 'encrypted',
        Body: 'x',
        ServerSideEncryption: 'AES256',
      }),
    );
  });
});
