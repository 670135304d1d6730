import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iamService } from '../services/iam/index.ts';
import { stsService } from '../services/sts/index.ts';
import type { ServiceDefinition } from './contract.ts';
import { createLogger } from './logger.ts';
import type { RunningServer } from './server.ts';
import { startServer } from './server.ts';
import { createAccount } from './admin-api.ts';

/** Stands in for S3 behind the gateway: answers with who signed and what arrived. */
const echoS3: ServiceDefinition = {
  name: 's3',
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

async function errorOf(p: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return err as { name: string; message: string };
  }
  throw new Error('expected the call to fail');
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
      services: [iamService, stsService, echoS3],
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
});
