import {
  CreateBucketCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  IAMClient,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import pl from 'nodejs-polars';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCloud } from './test-support.ts';
import type { TestAccount, TestCloud } from './test-support.ts';

let cloud: TestCloud;
let owner: TestAccount;

/** object_store's options; every value must be a string or polars ignores the whole object. */
function cloudOptions(credentials: { accessKeyId: string; secretAccessKey: string }) {
  return {
    aws_endpoint_url: cloud.url,
    aws_access_key_id: credentials.accessKeyId,
    aws_secret_access_key: credentials.secretAccessKey,
    aws_region: 'us-east-1',
    aws_allow_http: 'true',
    aws_virtual_hosted_style_request: 'false',
  };
}

beforeAll(async () => {
  cloud = await startTestCloud();
  owner = await cloud.account('polars');
  await new S3Client(cloud.harness.clientConfig(owner)).send(
    new CreateBucketCommand({ Bucket: 'polars-data' }),
  );
});

afterAll(async () => {
  await cloud?.stop();
});

describe('nodejs-polars against localcloud S3', () => {
  it('sinks Parquet to S3 and scans it back, signed and checked', async () => {
    const rows = 5000;
    const df = pl.DataFrame({
      id: Array.from({ length: rows }, (_, i) => i),
      group: Array.from({ length: rows }, (_, i) => `g${i % 7}`),
      value: Array.from({ length: rows }, (_, i) => i * 0.5),
    });
    const options = cloudOptions(owner);
    // collect() (not collectSync) keeps the event loop free for the in-process server.
    await df
      .lazy()
      .sinkParquet('s3://polars-data/sink/part-0.parquet', { cloudOptions: options })
      .collect();

    const written = await new S3Client(cloud.harness.clientConfig(owner)).send(
      new GetObjectCommand({ Bucket: 'polars-data', Key: 'sink/part-0.parquet' }),
    );
    const bytes = Buffer.from((await written.Body?.transformToByteArray()) ?? []);
    expect(bytes.subarray(0, 4).toString()).toBe('PAR1');

    const totals = await pl
      .scanParquet('s3://polars-data/sink/part-0.parquet', { cloudOptions: options })
      .filter(pl.col('group').eq(pl.lit('g3')))
      .select(pl.col('value').sum().alias('total'), pl.len().alias('n'))
      .collect();
    const expected = Array.from({ length: rows }, (_, i) => i)
      .filter((i) => i % 7 === 3)
      .reduce((sum, i) => sum + i * 0.5, 0);
    expect(totals.toRecords()).toEqual([{ total: expected, n: Math.ceil((rows - 3) / 7) }]);
  });

  it('reads a Parquet file written with PutObject', async () => {
    const df = pl.DataFrame({ city: ['Oslo', 'Lima'], temp: [3.5, 19.25] });
    await new S3Client(cloud.harness.clientConfig(owner)).send(
      new PutObjectCommand({
        Bucket: 'polars-data',
        Key: 'put/cities.parquet',
        Body: df.writeParquet(),
      }),
    );
    const back = await pl
      .scanParquet('s3://polars-data/put/cities.parquet', { cloudOptions: cloudOptions(owner) })
      .collect();
    expect(back.toRecords()).toEqual([
      { city: 'Oslo', temp: 3.5 },
      { city: 'Lima', temp: 19.25 },
    ]);
  });

  it('fails to read with credentials that lack s3:GetObject, or a wrong secret', async () => {
    const iam = new IAMClient(cloud.harness.clientConfig(owner));
    await iam.send(new CreateUserCommand({ UserName: 'lister' }));
    await iam.send(
      new PutUserPolicyCommand({
        UserName: 'lister',
        PolicyName: 'list-only',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::polars-data' },
          ],
        }),
      }),
    );
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'lister' }))).AccessKey;
    const lister = {
      accessKeyId: key?.AccessKeyId ?? '',
      secretAccessKey: key?.SecretAccessKey ?? '',
    };
    const denied = pl
      .scanParquet('s3://polars-data/put/cities.parquet', { cloudOptions: cloudOptions(lister) })
      .collect();
    await expect(denied).rejects.toThrow(/403|AccessDenied|Forbidden/i);

    const wrongSecret = pl
      .scanParquet('s3://polars-data/put/cities.parquet', {
        cloudOptions: cloudOptions({ accessKeyId: owner.accessKeyId, secretAccessKey: 'wrong' }),
      })
      .collect();
    await expect(wrongSecret).rejects.toThrow(/403|SignatureDoesNotMatch|Forbidden/i);
  });
});
