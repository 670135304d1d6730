/**
 * S3 keys are opaque: `.`, `..`, `//`, a leading `/` and their percent-encoded forms are key
 * bytes, never path steps. Every object operation is tried with such keys on the caller's own
 * bucket while another account's bucket sits next to it: the other bucket never changes and is
 * never read, and each such key is its own object.
 */
import { request as httpRequest } from 'node:http';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf } from '../../testing/index.ts';
import { startTwoAccountCloud } from './test-support.ts';
import type { TestAccount, TestCloud } from './test-support.ts';

let cloud: TestCloud;
let alice: TestAccount;
let bob: TestAccount;
let a: S3Client;
let b: S3Client;

const MINE = 'alice-keys';
const THEIRS = 'bob-private';
const SECRET = 'bob only';

/** Keys that name `THEIRS` if dot segments were resolved, or fold into other keys. */
const TRICKY_KEYS = [
  `../${THEIRS}/secret.txt`,
  `./../${THEIRS}/secret.txt`,
  `x/../../${THEIRS}/secret.txt`,
  `..`,
  `.`,
  `a/./b`,
  `a//b`,
  `/secret.txt`,
  `//${THEIRS}/secret.txt`,
  `%2e%2e/${THEIRS}/secret.txt`,
  `..%2F${THEIRS}%2Fsecret.txt`,
];

function s3(account: TestAccount): S3Client {
  return new S3Client(cloud.harness.clientConfig(account));
}

async function text(client: S3Client, bucket: string, key: string): Promise<string> {
  const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await got.Body?.transformToString()) ?? '';
}

/** Bob's bucket exactly as it was set up: one object, unchanged. */
async function expectTheirsUntouched(): Promise<void> {
  const listed = await b.send(new ListObjectsV2Command({ Bucket: THEIRS }));
  expect((listed.Contents ?? []).map((o) => o.Key)).toEqual(['secret.txt']);
  expect(await text(b, THEIRS, 'secret.txt')).toBe(SECRET);
}

/**
 * A request signed by `account` with `path` sent byte for byte (no client-side normalisation),
 * e.g. percent-encoded dots that SDKs never produce.
 */
async function rawSigned(
  account: TestAccount,
  method: string,
  path: string,
  body = '',
): Promise<{ status: number; body: string }> {
  const url = new URL(cloud.url);
  const signer = new SignatureV4({
    credentials: account,
    region: 'us-east-1',
    service: 's3',
    sha256: Hash.bind(null, 'sha256'),
    uriEscapePath: false,
    applyChecksum: false,
  });
  const signed = await signer.sign(
    new HttpRequest({
      method,
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path,
      headers: { host: url.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
      body,
    }),
  );
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, method, path, headers: signed.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

beforeAll(async () => {
  ({ cloud, alice, bob } = await startTwoAccountCloud());
  a = s3(alice);
  b = s3(bob);
  await a.send(new CreateBucketCommand({ Bucket: MINE }));
  await b.send(new CreateBucketCommand({ Bucket: THEIRS }));
  await b.send(new PutObjectCommand({ Bucket: THEIRS, Key: 'secret.txt', Body: SECRET }));
});

afterAll(async () => {
  await cloud?.stop();
});

describe('S3 keys with dot segments stay in their bucket', () => {
  it('get and head of a key never seen are NoSuchKey / 404, never the other account’s object', async () => {
    for (const key of TRICKY_KEYS) {
      const get = await errorOf(
        a.send(new GetObjectCommand({ Bucket: MINE, Key: key })),
        S3ServiceException,
      );
      expect({ key, name: get.name }).toEqual({ key, name: 'NoSuchKey' });
      const head = await errorOf(
        a.send(new HeadObjectCommand({ Bucket: MINE, Key: key })),
        S3ServiceException,
      );
      expect({ key, status: head.$metadata.httpStatusCode }).toEqual({ key, status: 404 });
    }
    await expectTheirsUntouched();
  });

  it('percent-encoded dots and slashes on the wire are key bytes too', async () => {
    for (const path of [
      `/${MINE}/%2E%2E/${THEIRS}/secret.txt`,
      `/${MINE}/..%2F${THEIRS}%2Fsecret.txt`,
      `/${MINE}/%2e%2e%2f${THEIRS}%2fsecret.txt`,
      `/${MINE}/../${THEIRS}/secret.txt`,
    ]) {
      const got = await rawSigned(alice, 'GET', path);
      expect({ path, status: got.status }).toEqual({ path, status: 404 });
      expect(got.body).toContain('<Code>NoSuchKey</Code>');
      expect(got.body).not.toContain(SECRET);
    }
    // Written through the encoded form, read back through the SDK under the decoded key.
    const put = await rawSigned(alice, 'PUT', `/${MINE}/%2E%2E/${THEIRS}/secret.txt`, 'mine');
    expect(put.status).toBe(200);
    expect(await text(a, MINE, `../${THEIRS}/secret.txt`)).toBe('mine');
    await expectTheirsUntouched();
    await a.send(new DeleteObjectCommand({ Bucket: MINE, Key: `../${THEIRS}/secret.txt` }));
  });

  it('put, get, head, list and delete keep every such key as its own object', async () => {
    for (const [i, key] of TRICKY_KEYS.entries()) {
      await a.send(new PutObjectCommand({ Bucket: MINE, Key: key, Body: `object ${i}` }));
    }
    await expectTheirsUntouched();
    for (const [i, key] of TRICKY_KEYS.entries()) {
      expect({ key, body: await text(a, MINE, key) }).toEqual({ key, body: `object ${i}` });
      const head = await a.send(new HeadObjectCommand({ Bucket: MINE, Key: key }));
      expect(head.ContentLength).toBe(`object ${i}`.length);
    }
    const listed = await a.send(new ListObjectsV2Command({ Bucket: MINE }));
    expect((listed.Contents ?? []).map((o) => o.Key).sort()).toEqual([...TRICKY_KEYS].sort());

    for (const prefix of ['../', '.', '/', '//', 'a/', 'a//', 'x/../', '%2e']) {
      const page = await a.send(new ListObjectsV2Command({ Bucket: MINE, Prefix: prefix }));
      expect({ prefix, keys: (page.Contents ?? []).map((o) => o.Key).sort() }).toEqual({
        prefix,
        keys: TRICKY_KEYS.filter((k) => k.startsWith(prefix)).sort(),
      });
    }
    const rolled = await a.send(new ListObjectsV2Command({ Bucket: MINE, Delimiter: '/' }));
    expect((rolled.CommonPrefixes ?? []).map((p) => p.Prefix).sort()).toEqual(
      ['../', './', '/', '%2e%2e/', 'a/', 'x/'].sort(),
    );

    const [first, ...rest] = TRICKY_KEYS;
    await a.send(new DeleteObjectCommand({ Bucket: MINE, Key: first }));
    await expectTheirsUntouched();
    const deleted = await a.send(
      new DeleteObjectsCommand({
        Bucket: MINE,
        Delete: { Objects: rest.map((Key) => ({ Key })) },
      }),
    );
    expect((deleted.Deleted ?? []).map((d) => d.Key).sort()).toEqual([...rest].sort());
    expect(deleted.Errors ?? []).toEqual([]);
    expect((await a.send(new ListObjectsV2Command({ Bucket: MINE }))).KeyCount).toBe(0);
    await expectTheirsUntouched();
  });

  it('copy: a dotted source never reads, and a dotted destination never writes, the other bucket', async () => {
    const source = await errorOf(
      a.send(
        new CopyObjectCommand({
          Bucket: MINE,
          Key: 'stolen.txt',
          CopySource: `${MINE}/../${THEIRS}/secret.txt`,
        }),
      ),
      S3ServiceException,
    );
    expect(source.name).toBe('NoSuchKey');
    await a.send(new PutObjectCommand({ Bucket: MINE, Key: 'plain.txt', Body: 'plain' }));
    for (const key of TRICKY_KEYS) {
      await a.send(
        new CopyObjectCommand({ Bucket: MINE, Key: key, CopySource: `${MINE}/plain.txt` }),
      );
      expect(await text(a, MINE, key)).toBe('plain');
      await a.send(
        new CopyObjectCommand({
          Bucket: MINE,
          Key: `copy-of/${key}`,
          CopySource: `${MINE}/${encodeURIComponent(key)}`,
        }),
      );
      expect(await text(a, MINE, `copy-of/${key}`)).toBe('plain');
    }
    await expectTheirsUntouched();
  });

  it('multipart uploads to such keys complete in the caller’s bucket under the literal key', async () => {
    for (const key of [`../${THEIRS}/secret.txt`, `//${THEIRS}/secret.txt`, 'm/./n']) {
      const created = await a.send(new CreateMultipartUploadCommand({ Bucket: MINE, Key: key }));
      const part = await a.send(
        new UploadPartCommand({
          Bucket: MINE,
          Key: key,
          UploadId: created.UploadId,
          PartNumber: 1,
          Body: `multipart ${key}`,
        }),
      );
      const done = await a.send(
        new CompleteMultipartUploadCommand({
          Bucket: MINE,
          Key: key,
          UploadId: created.UploadId,
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
        }),
      );
      expect(done.Key).toBe(key);
      expect(done.Bucket).toBe(MINE);
      expect(await text(a, MINE, key)).toBe(`multipart ${key}`);
    }
    await expectTheirsUntouched();
  });
});
