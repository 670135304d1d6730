import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf } from '../testing/index.ts';
import { iamService } from '../services/iam/index.ts';
import { stsService } from '../services/sts/index.ts';
import type { ServiceDefinition } from './contract.ts';
import { createLogger } from './logger.ts';
import type { RunningServer } from './server.ts';
import { startServer } from './server.ts';
import { createAccount } from './admin-api.ts';

/** Stands in for a service behind core: answers with who signed and what arrived. */
function echo(name: string): ServiceDefinition {
  return {
    name,
    forward: (request, call) =>
      Promise.resolve({
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          caller: call.caller.arn,
          path: request.path,
          size: request.body.length,
        }),
      }),
  };
}

describe('SigV4 authentication', () => {
  let server: RunningServer;
  let clock = Date.now();
  let creds: { accessKeyId: string; secretAccessKey: string };
  let accountId: string;
  const config = (c: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) => ({
    endpoint: server.url,
    region: 'us-east-1',
    credentials: c,
    maxAttempts: 1,
  });

  beforeAll(async () => {
    server = await startServer({
      port: 0,
      services: [iamService, stsService, echo('s3'), echo('ec2'), echo('kinesis')],
      log: createLogger('silent'),
      now: () => clock,
    });
    const account = await createAccount(server.cloud, 'sig');
    creds = account;
    accountId = account.accountId;
  });
  afterAll(async () => {
    await server.stop();
  });

  it('accepts a correctly signed request', async () => {
    const id = await new STSClient(config(creds)).send(new GetCallerIdentityCommand({}));
    expect(id.Account).toBe(accountId);
  });

  it('rejects an unknown access key with InvalidClientTokenId', async () => {
    const err = await errorOf(
      new STSClient(config({ accessKeyId: 'AKIAUNKNOWNUNKNOWN00', secretAccessKey: 'x' })).send(
        new GetCallerIdentityCommand({}),
      ),
    );
    expect(err.name).toBe('InvalidClientTokenId');
  });

  it('rejects a wrong secret with SignatureDoesNotMatch', async () => {
    const err = await errorOf(
      new IAMClient(config({ ...creds, secretAccessKey: `${creds.secretAccessKey}x` })).send(
        new CreateRoleCommand({ RoleName: 'never', AssumeRolePolicyDocument: '{}' }),
      ),
    );
    expect(err.name).toBe('SignatureDoesNotMatch');
  });

  it('rejects a tampered body', async () => {
    const signer = new SignatureV4({
      credentials: creds,
      region: 'us-east-1',
      service: 'sts',
      sha256: Hash.bind(null, 'sha256'),
    });
    const url = new URL(server.url);
    const request = new HttpRequest({
      method: 'POST',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: '/',
      headers: { host: url.host, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=GetCallerIdentity&Version=2011-06-15',
    });
    const signed = await signer.sign(request);
    const ok = await fetch(server.url, {
      method: 'POST',
      headers: signed.headers,
      body: 'Action=GetCallerIdentity&Version=2011-06-15',
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    const bad = await fetch(server.url, {
      method: 'POST',
      headers: signed.headers,
      body: 'Action=GetCallerIdentity&Version=2011-06-16',
    });
    expect(bad.status).toBe(403);
    expect(await bad.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  it('rejects a request without a signature', async () => {
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=GetCallerIdentity&Version=2011-06-15',
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('MissingAuthenticationToken');
  });

  it('accepts a presigned query request and rejects it once expired or altered', async () => {
    const signer = new SignatureV4({
      credentials: creds,
      region: 'us-east-1',
      service: 'sts',
      sha256: Hash.bind(null, 'sha256'),
    });
    const url = new URL(server.url);
    const request = new HttpRequest({
      method: 'GET',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host: url.host },
    });
    const presigned = await signer.presign(request, {
      expiresIn: 60,
      signingDate: new Date(clock),
    });
    const q = new URLSearchParams(presigned.query as Record<string, string>);
    const ok = await fetch(`${server.url}/?${q.toString()}`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain(`<Account>${accountId}</Account>`);
    q.set('Version', '2011-06-16');
    const altered = await fetch(`${server.url}/?${q.toString()}`);
    expect(altered.status).toBe(403);
    q.set('Version', '2011-06-15');
    clock += 120_000;
    try {
      const expired = await fetch(`${server.url}/?${q.toString()}`);
      expect(expired.status).toBe(403);
      expect(await expired.text()).toContain('expired');
    } finally {
      clock -= 120_000;
    }
  });

  it('rejects expired session credentials with ExpiredToken and a wrong session token with InvalidClientTokenId', async () => {
    await new IAMClient(config(creds)).send(
      new CreateRoleCommand({
        RoleName: 'Short',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${accountId}:root` },
              Action: 'sts:AssumeRole',
            },
          ],
        }),
      }),
    );
    const out = await new STSClient(config(creds)).send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${accountId}:role/Short`,
        RoleSessionName: 'short',
        DurationSeconds: 900,
      }),
    );
    const session = {
      accessKeyId: out.Credentials?.AccessKeyId ?? '',
      secretAccessKey: out.Credentials?.SecretAccessKey ?? '',
      sessionToken: out.Credentials?.SessionToken ?? '',
    };
    const wrongToken = await errorOf(
      new STSClient(config({ ...session, sessionToken: 'bogus' })).send(
        new GetCallerIdentityCommand({}),
      ),
    );
    expect(wrongToken.name).toBe('InvalidClientTokenId');
    const noToken = await errorOf(
      new STSClient(
        config({ accessKeyId: session.accessKeyId, secretAccessKey: session.secretAccessKey }),
      ).send(new GetCallerIdentityCommand({})),
    );
    expect(noToken.name).toBe('InvalidClientTokenId');
    // The signature is made with the client's clock: keep it in step with the server's.
    clock += 901_000;
    try {
      const client = new STSClient({ ...config(session), systemClockOffset: 901_000 });
      const err = await errorOf(client.send(new GetCallerIdentityCommand({})));
      expect(err.name).toBe('ExpiredToken');
    } finally {
      clock -= 901_000;
    }
  });

  it('verifies S3 signatures: payload hash header, UNSIGNED-PAYLOAD and presigned URLs', async () => {
    const s3 = new S3Client({ ...config(creds), forcePathStyle: true });
    const put = await s3.send(
      new PutObjectCommand({ Bucket: 'b1', Key: 'dir/a file+x.txt', Body: 'hello world' }),
    );
    expect(put.$metadata.httpStatusCode).toBe(200);
    const url = await getSignedUrl(
      s3,
      new GetObjectCommand({ Bucket: 'b1', Key: 'dir/a file+x.txt' }),
      {
        expiresIn: 300,
      },
    );
    const res = await fetch(url);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { caller: string; path: string };
    expect(body.caller).toBe(`arn:aws:iam::${accountId}:user/admin`);
    const tampered = await fetch(url.replace('dir/a', 'dir/b'));
    expect(tampered.status).toBe(403);
    expect(await tampered.text()).toContain('SignatureDoesNotMatch');
    const unknown = await errorOf(
      new S3Client({
        ...config({ accessKeyId: 'AKIANOBODYNOBODY0000', secretAccessKey: 'x' }),
        forcePathStyle: true,
      }).send(new PutObjectCommand({ Bucket: 'b1', Key: 'k', Body: 'x' })),
    );
    expect(unknown.name).toBe('InvalidAccessKeyId');
  });

  /** A request to `service` signed at `signingDate` (header SigV4), sent as is. */
  async function signedAt(
    service: 'sts' | 's3' | 'ec2' | 'kinesis',
    signingDate: Date,
    extraHeaders: Record<string, string> = {},
  ): Promise<{ status: number; code: string; message: string }> {
    const url = new URL(server.url);
    const shapes: Record<
      typeof service,
      { method: string; path: string; headers: Record<string, string>; body: string }
    > = {
      sts: {
        method: 'POST',
        path: '/',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'Action=GetCallerIdentity&Version=2011-06-15',
      },
      ec2: {
        method: 'POST',
        path: '/',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'Action=DescribeRegions&Version=2016-11-15',
      },
      kinesis: {
        method: 'POST',
        path: '/',
        headers: {
          'content-type': 'application/x-amz-json-1.1',
          'x-amz-target': 'Kinesis_20131202.ListStreams',
        },
        body: '{}',
      },
      s3: {
        method: 'GET',
        path: '/b1/k',
        headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
        body: '',
      },
    };
    const shape = shapes[service];
    const signer = new SignatureV4({
      credentials: creds,
      region: 'us-east-1',
      service,
      sha256: Hash.bind(null, 'sha256'),
      uriEscapePath: service !== 's3',
    });
    const signed = await signer.sign(
      new HttpRequest({
        method: shape.method,
        protocol: 'http:',
        hostname: url.hostname,
        port: Number(url.port),
        path: shape.path,
        headers: { host: url.host, ...shape.headers, ...extraHeaders },
        body: shape.body,
      }),
      { signingDate },
    );
    const res = await fetch(`${server.url}${shape.path}`, {
      method: shape.method,
      headers: signed.headers,
      ...(shape.method === 'GET' ? {} : { body: shape.body }),
    });
    const text = await res.text();
    if (service === 'kinesis' && res.status !== 200) {
      const json = JSON.parse(text) as { __type: string; message: string };
      return {
        status: res.status,
        code: json.__type.split('#').pop() ?? '',
        message: json.message,
      };
    }
    return {
      status: res.status,
      code: /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? '',
      message: /<Message>([^<]*)<\/Message>/.exec(text)?.[1] ?? '',
    };
  }

  const MINUTE = 60_000;
  const DAY = 24 * 60 * MINUTE;
  const refused = {
    sts: { status: 403, code: 'SignatureDoesNotMatch' },
    ec2: { status: 400, code: 'RequestExpired' },
    kinesis: { status: 400, code: 'InvalidSignatureException' },
    s3: { status: 403, code: 'RequestTimeTooSkewed' },
  } as const;

  it('refuses a header-signed request dated more than 15 minutes from the clock, in each service’s words', async () => {
    const stamp = /\d{8}T\d{6}Z/.source;
    for (const service of ['sts', 'ec2', 'kinesis', 's3'] as const) {
      for (const offset of [-2 * DAY, -365 * DAY, -16 * MINUTE, 16 * MINUTE, DAY]) {
        const got = await signedAt(service, new Date(clock + offset));
        expect({ service, offset, status: got.status, code: got.code }).toEqual({
          service,
          offset,
          ...refused[service],
        });
        if (service === 'sts' || service === 'kinesis') {
          expect(got.message).toMatch(
            offset < 0
              ? new RegExp(
                  `^Signature expired: ${stamp} is now earlier than ${stamp} \\(${stamp} - 15 min\\.\\)$`,
                )
              : new RegExp(
                  `^Signature not yet current: ${stamp} is still later than ${stamp} \\(${stamp} \\+ 15 min\\.\\)$`,
                ),
          );
        }
        if (service === 's3') {
          expect(got.message).toBe(
            'The difference between the request time and the current time is too large.',
          );
        }
      }
      for (const offset of [-14 * MINUTE, 0, 14 * MINUTE]) {
        const got = await signedAt(service, new Date(clock + offset));
        expect({ service, offset, status: got.status }).toEqual({ service, offset, status: 200 });
      }
    }
  });

  it('presigned S3 URLs follow X-Amz-Expires, not the 15-minute window, and are not valid before their date', async () => {
    const s3 = new S3Client({ ...config(creds), forcePathStyle: true });
    const command = new GetObjectCommand({ Bucket: 'b1', Key: 'presigned' });
    const week = await getSignedUrl(s3, command, {
      expiresIn: 604800,
      signingDate: new Date(clock - 2 * DAY),
    });
    expect((await fetch(week)).status).toBe(200);
    const hour = await getSignedUrl(s3, command, {
      expiresIn: 3600,
      signingDate: new Date(clock - 2 * DAY),
    });
    const expired = await fetch(hour);
    expect(expired.status).toBe(403);
    expect(await expired.text()).toContain('<Message>Request has expired</Message>');
    const future = await getSignedUrl(s3, command, {
      expiresIn: 3600,
      signingDate: new Date(clock + DAY),
    });
    const early = await fetch(future);
    expect(early.status).toBe(403);
    expect(await early.text()).toContain('<Message>Request is not yet valid</Message>');
  });

  it('accepts UNSIGNED-PAYLOAD for S3 only: elsewhere the body must be signed', async () => {
    const now = new Date(clock);
    expect((await signedAt('s3', now)).status).toBe(200);
    for (const service of ['sts', 'ec2', 'kinesis'] as const) {
      const got = await signedAt(service, now, { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' });
      expect({ service, status: got.status, code: got.code }).toEqual({
        service,
        status: service === 'sts' ? 403 : service === 'ec2' ? 401 : 400,
        code:
          service === 'sts'
            ? 'SignatureDoesNotMatch'
            : service === 'ec2'
              ? 'AuthFailure'
              : 'InvalidSignatureException',
      });
    }
  });
});
