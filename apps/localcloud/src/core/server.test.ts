import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateRoleCommand, GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf } from '../testing/index.ts';
import { iamService } from '../services/iam/index.ts';
import { stsService } from '../services/sts/index.ts';
import type { Handler, ServiceDefinition } from './contract.ts';
import { createLogger } from './logger.ts';
import type { RunningServer } from './server.ts';
import { startServer } from './server.ts';

const log = createLogger('silent');

async function admin(url: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

describe('admin API and faults', () => {
  let server: RunningServer;
  let stopped = 0;
  const probe: ServiceDefinition = {
    name: 'probe',
    stop: () => {
      stopped += 1;
      return Promise.resolve();
    },
  };
  beforeAll(async () => {
    server = await startServer({ port: 0, services: [iamService, stsService, probe], log });
  });
  afterAll(async () => {
    await server.stop();
    expect(stopped).toBe(1);
  });

  it('answers health and creates accounts with 12-digit ids and working admin keys', async () => {
    expect(await admin(server.url, 'GET', '/_localcloud/health')).toEqual({
      status: 200,
      body: { ok: true },
    });
    const created = await admin(server.url, 'POST', '/_localcloud/accounts', { name: 'team' });
    expect(created.status).toBe(201);
    expect(created.body.accountId).toMatch(/^\d{12}$/);
    expect(Object.keys(created.body).sort()).toEqual([
      'accessKeyId',
      'accountId',
      'secretAccessKey',
    ]);
    const sts = new STSClient({
      endpoint: server.url,
      region: 'eu-west-1',
      credentials: {
        accessKeyId: created.body.accessKeyId as string,
        secretAccessKey: created.body.secretAccessKey as string,
      },
      maxAttempts: 1,
    });
    const id = await sts.send(new GetCallerIdentityCommand({}));
    expect(id.Arn).toBe(`arn:aws:iam::${String(created.body.accountId)}:user/admin`);
  });

  it('rejects bad admin input naming the field', async () => {
    expect(await admin(server.url, 'POST', '/_localcloud/accounts', { name: 5 })).toEqual({
      status: 400,
      body: { error: 'name must be a string' },
    });
    expect((await admin(server.url, 'POST', '/_localcloud/accounts', '[1')).status).toBe(400);
    const badFault = await admin(server.url, 'POST', '/_localcloud/faults', {
      service: 'sts',
      error: 'Throttling',
      rate: 2,
    });
    expect(badFault).toEqual({ status: 400, body: { error: 'rate must be between 0 and 1' } });
    const noKind = await admin(server.url, 'POST', '/_localcloud/faults', { seconds: 3 });
    expect(noKind.status).toBe(400);
  });

  it('injects error faults deterministically with a seed, and unavailability', async () => {
    const acct = (await admin(server.url, 'POST', '/_localcloud/accounts', {})).body;
    const sts = new STSClient({
      endpoint: server.url,
      region: 'us-east-1',
      credentials: {
        accessKeyId: acct.accessKeyId as string,
        secretAccessKey: acct.secretAccessKey as string,
      },
      maxAttempts: 1,
    });
    const run = async () => {
      await admin(server.url, 'DELETE', '/_localcloud/faults');
      await admin(server.url, 'POST', '/_localcloud/faults', { seed: 42 });
      await admin(server.url, 'POST', '/_localcloud/faults', {
        service: 'sts',
        action: 'GetCallerIdentity',
        error: 'Throttling',
        rate: 0.5,
      });
      const outcomes: string[] = [];
      for (let i = 0; i < 12; i++) {
        outcomes.push(
          await sts.send(new GetCallerIdentityCommand({})).then(
            () => 'ok',
            (err: { name: string }) => err.name,
          ),
        );
      }
      return outcomes;
    };
    const first = await run();
    expect(first).toContain('Throttling');
    expect(first).toContain('ok');
    expect(await run()).toEqual(first);
    const listed = await admin(server.url, 'GET', '/_localcloud/faults');
    const [sampled] = listed.body.faults as { id: string; fired: number }[];
    expect((listed.body.faults as unknown[]).length).toBe(1);
    // Each fault counts the calls it failed: exactly the Throttling outcomes of the last run.
    expect(sampled?.fired).toBe(first.filter((o) => o === 'Throttling').length);
    await admin(server.url, 'DELETE', '/_localcloud/faults');

    const counted = await admin(server.url, 'POST', '/_localcloud/faults', {
      service: 'sts',
      error: 'InternalFailure',
      count: 1,
    });
    expect(counted.status).toBe(201);
    expect(counted.body.fired).toBe(0);
    const once = await errorOf(sts.send(new GetCallerIdentityCommand({})));
    expect(once.name).toBe('InternalFailure');
    await sts.send(new GetCallerIdentityCommand({}));
    // Spent, it is no longer listed, but stays readable with its count.
    expect((await admin(server.url, 'GET', '/_localcloud/faults')).body.faults).toEqual([]);
    const spent = await admin(
      server.url,
      'GET',
      `/_localcloud/faults/${counted.body.id as string}`,
    );
    expect(spent).toEqual({
      status: 200,
      body: expect.objectContaining({ id: counted.body.id, fired: 1, active: false }) as unknown,
    });
    expect((await admin(server.url, 'GET', '/_localcloud/faults/fault-none')).status).toBe(404);

    const unavailable = await admin(server.url, 'POST', '/_localcloud/faults', {
      kind: 'unavailable',
      seconds: 30,
    });
    const down = await errorOf(sts.send(new GetCallerIdentityCommand({})));
    expect(down.name).toBe('ServiceUnavailable');
    expect(down.$metadata?.httpStatusCode).toBe(503);
    await admin(server.url, 'DELETE', '/_localcloud/faults');
    await sts.send(new GetCallerIdentityCommand({}));
    const cleared = await admin(
      server.url,
      'GET',
      `/_localcloud/faults/${unavailable.body.id as string}`,
    );
    expect(cleared.body).toEqual(expect.objectContaining({ fired: 1, active: false }));
  });

  it('serves extra routes of services and answers unknown services clearly', async () => {
    const handler: Handler = () => ({});
    const routed = await startServer({
      port: 0,
      log,
      services: [
        iamService,
        {
          name: 'extra',
          handlers: { Nothing: handler },
          routes: [
            {
              method: 'GET',
              pathPrefix: '/_localcloud/instances',
              handle: () => Promise.resolve({ status: 200, headers: {}, body: '{"instances":[]}' }),
            },
          ],
        },
      ],
    });
    try {
      const res = await fetch(`${routed.url}/_localcloud/instances`);
      expect(await res.json()).toEqual({ instances: [] });
    } finally {
      await routed.stop();
    }
  });
});

describe('persistence with a state directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'localcloud-state-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps accounts, keys, roles and sessions across a restart', async () => {
    const first = await startServer({
      port: 0,
      stateDir: dir,
      services: [iamService, stsService],
      log,
    });
    const acct = (await admin(first.url, 'POST', '/_localcloud/accounts', {})).body;
    const creds = {
      accessKeyId: acct.accessKeyId as string,
      secretAccessKey: acct.secretAccessKey as string,
    };
    const cfg = (url: string, c: typeof creds & { sessionToken?: string }) => ({
      endpoint: url,
      region: 'us-east-1',
      credentials: c,
      maxAttempts: 1,
    });
    await new IAMClient(cfg(first.url, creds)).send(
      new CreateRoleCommand({
        RoleName: 'Kept',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${String(acct.accountId)}:root` },
              Action: 'sts:AssumeRole',
            },
          ],
        }),
      }),
    );
    const session = await new STSClient(cfg(first.url, creds)).send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${String(acct.accountId)}:role/Kept`,
        RoleSessionName: 'kept',
      }),
    );
    await first.stop();
    const saved = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { version: number };
    expect(saved.version).toBe(1);

    const second = await startServer({
      port: 0,
      stateDir: dir,
      services: [iamService, stsService],
      log,
    });
    try {
      const role = await new IAMClient(cfg(second.url, creds)).send(
        new GetRoleCommand({ RoleName: 'Kept' }),
      );
      expect(role.Role?.RoleName).toBe('Kept');
      const who = await new STSClient(
        cfg(second.url, {
          accessKeyId: session.Credentials?.AccessKeyId ?? '',
          secretAccessKey: session.Credentials?.SecretAccessKey ?? '',
          sessionToken: session.Credentials?.SessionToken,
        }),
      ).send(new GetCallerIdentityCommand({}));
      expect(who.Arn).toBe(`arn:aws:sts::${String(acct.accountId)}:assumed-role/Kept/kept`);
    } finally {
      await second.stop();
    }
  });
});

describe('the localcloud command', () => {
  it('prints its URL when ready and stops on SIGTERM', async () => {
    const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin.ts');
    const child = spawn(process.execPath, [bin, '--port', '0', '--log-level', 'silent'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out.trim());
      });
      child.once('exit', (code) => reject(new Error(`exited early with ${String(code)}`)));
    });
    expect(line).toMatch(/^localcloud listening on http:\/\/127\.0\.0\.1:\d+$/);
    const url = line.replace('localcloud listening on ', '');
    expect((await admin(url, 'GET', '/_localcloud/health')).body).toEqual({ ok: true });
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('refuses a bad port naming the flag', async () => {
    const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin.ts');
    const child = spawn(process.execPath, [bin, '--port', 'abc'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) =>
      child.once('exit', (c) => resolve(c)),
    );
    expect(code).toBe(2);
    expect(err).toContain('--port');
  });
});
