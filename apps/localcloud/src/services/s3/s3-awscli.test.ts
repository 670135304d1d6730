import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsCli } from './aws-cli.ts';
import type { AwsCli } from './aws-cli.ts';
import { startTestCloud } from './test-support.ts';
import type { TestCloud } from './test-support.ts';

let cloud: TestCloud;
let alice: AwsCli;
let bob: AwsCli;
let bobAccountId: string;
/** Each awscli run costs seconds of Python start-up on a busy machine. */
const CLI_TIMEOUT = 150_000;

beforeAll(async () => {
  cloud = await startTestCloud();
  const a = await cloud.account('alice');
  const b = await cloud.account('bob');
  bobAccountId = b.accountId;
  alice = await createAwsCli({ endpoint: cloud.url, ...a });
  bob = await createAwsCli({ endpoint: cloud.url, ...b });
});

afterAll(async () => {
  await alice?.dispose();
  await bob?.dispose();
  await cloud?.stop();
});

describe('S3 through localcloud with awscli', () => {
  it(
    'creates a bucket, puts, lists with prefix and delimiter, gets and deletes',
    async () => {
      await alice.json(['s3api', 'create-bucket', '--bucket', 'cli-bucket']);
      const tree = join(alice.dir, 'tree');
      for (const key of [
        'logs/2024/a.txt',
        'logs/2024/b.txt',
        'logs/top.txt',
        'key with space.txt',
      ]) {
        await mkdir(dirname(join(tree, key)), { recursive: true });
        await writeFile(join(tree, key), 'from the cli');
      }
      const upload = await alice.run(['s3', 'cp', '--recursive', tree, 's3://cli-bucket/']);
      expect(upload.code, upload.stderr).toBe(0);
      const listed = await alice.json<{
        Contents?: { Key: string }[];
        CommonPrefixes?: { Prefix: string }[];
      }>([
        's3api',
        'list-objects-v2',
        '--bucket',
        'cli-bucket',
        '--prefix',
        'logs/',
        '--delimiter',
        '/',
      ]);
      expect(listed.Contents?.map((c) => c.Key)).toEqual(['logs/top.txt']);
      expect(listed.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['logs/2024/']);

      // The CLI pages with continuation tokens on its own when the page size is small.
      const all = await alice.json<{ Contents?: { Key: string }[] }>([
        's3api',
        'list-objects-v2',
        '--bucket',
        'cli-bucket',
        '--page-size',
        '1',
      ]);
      expect(all.Contents?.map((c) => c.Key)).toEqual([
        'key with space.txt',
        'logs/2024/a.txt',
        'logs/2024/b.txt',
        'logs/top.txt',
      ]);

      const target = join(alice.dir, 'out.txt');
      await alice.json([
        's3api',
        'get-object',
        '--bucket',
        'cli-bucket',
        '--key',
        'key with space.txt',
        target,
      ]);
      expect(await readFile(target, 'utf8')).toBe('from the cli');

      const buckets = await bob.json<{ Buckets: { Name: string }[] }>(['s3api', 'list-buckets']);
      expect(buckets.Buckets.map((b) => b.Name)).not.toContain('cli-bucket');

      const denied = await bob.run([
        's3api',
        'get-object',
        '--bucket',
        'cli-bucket',
        '--key',
        'logs/top.txt',
        target,
      ]);
      expect(denied.code).not.toBe(0);
      expect(denied.stderr).toContain('AccessDenied');
    },
    CLI_TIMEOUT,
  );

  it(
    'copies a file large enough for a multipart upload both ways with `aws s3 cp`',
    async () => {
      await alice.json(['s3api', 'create-bucket', '--bucket', 'cli-multipart']);
      const big = randomBytes(9 * 1024 * 1024);
      const source = join(alice.dir, 'big.bin');
      await writeFile(source, big);
      const up = await alice.run(['s3', 'cp', source, 's3://cli-multipart/dir/big.bin']);
      expect(up.stderr).toBe('');
      expect(up.code).toBe(0);
      const head = await alice.json<{ ContentLength: number }>([
        's3api',
        'head-object',
        '--bucket',
        'cli-multipart',
        '--key',
        'dir/big.bin',
      ]);
      expect(head.ContentLength).toBe(big.length);
      const target = join(alice.dir, 'big-back.bin');
      const down = await alice.run(['s3', 'cp', 's3://cli-multipart/dir/big.bin', target]);
      expect(down.code).toBe(0);
      expect((await readFile(target)).equals(big)).toBe(true);
    },
    CLI_TIMEOUT,
  );

  it(
    'presigns a URL that works without credentials until it expires',
    async () => {
      await alice.json(['s3api', 'create-bucket', '--bucket', 'cli-presign']);
      await alice.run(['s3api', 'put-object', '--bucket', 'cli-presign', '--key', 'p.txt'], {});
      const presigned = await alice.run([
        's3',
        'presign',
        's3://cli-presign/p.txt',
        '--expires-in',
        '60',
      ]);
      expect(presigned.code).toBe(0);
      const response = await fetch(presigned.stdout.trim());
      expect(response.status).toBe(200);
    },
    CLI_TIMEOUT,
  );

  it(
    'sets and enforces a bucket policy',
    async () => {
      await alice.json(['s3api', 'create-bucket', '--bucket', 'cli-policy']);
      const owner = bobAccountId;
      const policy = JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${owner}:root` },
            Action: 's3:ListBucket',
            Resource: 'arn:aws:s3:::cli-policy',
          },
        ],
      });
      const before = await bob.run(['s3api', 'list-objects-v2', '--bucket', 'cli-policy']);
      expect(before.stderr).toContain('AccessDenied');
      await alice.json([
        's3api',
        'put-bucket-policy',
        '--bucket',
        'cli-policy',
        '--policy',
        policy,
      ]);
      const after = await bob.run(['s3api', 'list-objects-v2', '--bucket', 'cli-policy']);
      expect(after.code).toBe(0);
      const bad = await alice.run([
        's3api',
        'put-bucket-policy',
        '--bucket',
        'cli-policy',
        '--policy',
        '{}',
      ]);
      expect(bad.stderr).toContain('MalformedPolicy');
    },
    CLI_TIMEOUT,
  );
});
