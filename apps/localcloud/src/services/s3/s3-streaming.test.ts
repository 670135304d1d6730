import { createHash, createHmac } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCloud } from './test-support.ts';
import type { TestAccount, TestCloud } from './test-support.ts';

let cloud: TestCloud;
let account: TestAccount;
let client: S3Client;

beforeAll(async () => {
  cloud = await startTestCloud();
  account = await cloud.account('streaming');
  client = new S3Client(cloud.harness.clientConfig(account));
  await client.send(new CreateBucketCommand({ Bucket: 'stream-bucket' }));
});

afterAll(async () => {
  await cloud?.stop();
});

async function read(key: string): Promise<Buffer> {
  const got = await client.send(new GetObjectCommand({ Bucket: 'stream-bucket', Key: key }));
  return Buffer.from((await got.Body?.transformToByteArray()) ?? []);
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string) =>
  createHmac('sha256', key).update(data).digest();

/** A SigV4 streaming upload (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) with real chunk signatures. */
async function signedChunkedPut(
  key: string,
  data: Buffer,
  chunkSize: number,
  tamper = false,
): Promise<Response> {
  const url = new URL(`${cloud.url}/stream-bucket/${key}`);
  const now = new Date();
  const amzDate = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const scope = `${day}/us-east-1/s3/aws4_request`;
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < data.length; offset += chunkSize) {
    chunks.push(data.subarray(offset, offset + chunkSize));
  }
  chunks.push(Buffer.alloc(0));
  const signatureLength = 64;
  const encodedLength = chunks.reduce(
    (sum, chunk) =>
      sum +
      chunk.length.toString(16).length +
      ';chunk-signature='.length +
      signatureLength +
      4 +
      chunk.length,
    0,
  );
  const request = new HttpRequest({
    method: 'PUT',
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    path: url.pathname,
    headers: {
      host: url.host,
      'content-encoding': 'aws-chunked',
      'content-length': String(encodedLength),
      'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
      'x-amz-decoded-content-length': String(data.length),
    },
  });
  const signer = new SignatureV4({
    credentials: account,
    region: 'us-east-1',
    service: 's3',
    sha256: Hash.bind(null, 'sha256'),
    uriEscapePath: false,
    applyChecksum: false,
  });
  const signed = await signer.sign(request, { signingDate: now });
  let previous = /Signature=([0-9a-f]+)/.exec(String(signed.headers['authorization']))?.[1] ?? '';
  const signingKey = hmac(
    hmac(hmac(hmac(`AWS4${account.secretAccessKey}`, day), 'us-east-1'), 's3'),
    'aws4_request',
  );
  const body = Buffer.concat(
    chunks.map((chunk) => {
      const toSign = [
        'AWS4-HMAC-SHA256-PAYLOAD',
        amzDate,
        scope,
        previous,
        sha256(''),
        sha256(chunk),
      ].join('\n');
      previous = createHmac('sha256', signingKey).update(toSign).digest('hex');
      return Buffer.concat([
        Buffer.from(`${chunk.length.toString(16)};chunk-signature=${previous}\r\n`),
        chunk,
        Buffer.from('\r\n'),
      ]);
    }),
  );
  expect(body.length).toBe(encodedLength);
  // Flip one payload byte after signing: the chunk's signature no longer matches.
  if (tamper) {
    const at = body.indexOf('\r\n') + 2;
    body.writeUInt8((body.readUInt8(at) ^ 1) & 0xff, at);
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed.headers)) {
    if (name !== 'host' && name !== 'content-length') headers[name] = String(value);
  }
  return fetch(url, { method: 'PUT', headers, body });
}

describe('streaming uploads', () => {
  it('stores a SigV4 signed-chunk upload without its framing', async () => {
    const data = Buffer.from('0123456789abcdef'.repeat(5000));
    const response = await signedChunkedPut('signed/chunks.bin', data, 65536);
    expect(response.status, await response.text()).toBe(200);
    expect((await read('signed/chunks.bin')).equals(data)).toBe(true);
  });

  it('rejects a signed-chunk upload whose chunk was altered', async () => {
    const data = Buffer.from('x'.repeat(1000));
    const response = await signedChunkedPut('signed/tampered.bin', data, 400, true);
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
    const missing = await client
      .send(new GetObjectCommand({ Bucket: 'stream-bucket', Key: 'signed/tampered.bin' }))
      .catch((error: Error) => error);
    expect(missing).toBeInstanceOf(Error);
  });

  it('stores an SDK stream upload (unsigned payload with a CRC32 trailer)', async () => {
    const data = Buffer.alloc(200_000, 7);
    const sdk = new S3Client(cloud.harness.clientConfig(account));
    const sent: Record<string, string>[] = [];
    sdk.middlewareStack.add(
      (next) => (args) => {
        if (HttpRequest.isInstance(args.request)) sent.push({ ...args.request.headers });
        return next(args);
      },
      { step: 'finalizeRequest', name: 'captureHeaders' },
    );
    await sdk.send(
      new PutObjectCommand({
        Bucket: 'stream-bucket',
        Key: 'sdk/stream.bin',
        Body: Readable.from([data.subarray(0, 100_000), data.subarray(100_000)]),
        ContentLength: data.length,
      }),
    );
    // The SDK framed the body as aws-chunked with a trailing checksum.
    expect(sent[0]?.['content-encoding']).toContain('aws-chunked');
    expect(sent[0]?.['x-amz-content-sha256']).toMatch(/^STREAMING-/);
    expect((await read('sdk/stream.bin')).equals(data)).toBe(true);
  });

  it('rejects a chunked body whose trailing checksum does not match', async () => {
    const url = new URL(`${cloud.url}/stream-bucket/bad/crc.bin`);
    const body = Buffer.from('5\r\nhello\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n');
    const request = new HttpRequest({
      method: 'PUT',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      headers: {
        host: url.host,
        'content-encoding': 'aws-chunked',
        'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
        'x-amz-decoded-content-length': '5',
        'x-amz-trailer': 'x-amz-checksum-crc32',
      },
    });
    const signed = await new SignatureV4({
      credentials: account,
      region: 'us-east-1',
      service: 's3',
      sha256: Hash.bind(null, 'sha256'),
      uriEscapePath: false,
      applyChecksum: false,
    }).sign(request);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(signed.headers)) {
      if (name !== 'host') headers[name] = String(value);
    }
    const response = await fetch(url, { method: 'PUT', headers, body });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('<Code>BadDigest</Code>');
  });
});
