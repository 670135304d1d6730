/**
 * Queries through a data connection, end to end on localcloud with a second "data owner"
 * account, in both connection modes, through the SDK: the owner's role (widened to s3:* on
 * its bucket) is connected as `sales` with the prefix `events/`; a plan over
 * `scanConnection` and a SQL query over `connection('sales', …)` return the same rows as
 * polars in process with the owner's own credentials; a scan outside the prefix fails with
 * AWS's AccessDenied in the query's error (the session policy, not the role, refuses it);
 * the other scans of the same plan keep the Worker role; a credential without
 * `connections:use` is refused, and a connection of another workspace answers 404 like a
 * missing one. No credential of the connection reaches the client, the plan or a log line.
 */
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { FerryError } from '@ferry/sdk';
import {
  ComputeContext,
  FerryAuthError,
  QueryFailedError,
  remote,
  scanConnection,
  sql,
} from '@ferry/sdk';
import pl from 'nodejs-polars';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  REGION,
  startConnectedWorkspace,
  type Account,
  type ConnectedWorkspace,
} from './fixtures/connected-workspace.ts';
import { rowsOf, tripsFrame, writeQueryData, type QueryData } from './fixtures/query-helpers.ts';

vi.setConfig({ testTimeout: 180_000, hookTimeout: 300_000 });

type Mode = 'direct' | 'proxy';

const bucket = 'sales-queries-bucket';
const target = { type: 's3', bucket, prefix: 'events/', region: REGION } as const;
const lines: string[] = [];
let f: ConnectedWorkspace;
let owner: Account;
let data: QueryData;
/** May use connections. */
let userToken: string;
/** The same user's token without `connections:use` in its scopes. */
let narrowToken: string;
const ctxs = {} as Record<Mode, ComputeContext>;
const events = () => tripsFrame().head(5000).withColumns(pl.col('fare').mul(2).alias('fare2'));
const began = Date.now();
const progress = (line: string) =>
  console.log(`connection-queries +${((Date.now() - began) / 1000).toFixed(1)}s: ${line}`);

async function token(scopes: string[]): Promise<string> {
  const created = await f.api<{ secret: string }>('POST', '/api/v1/auth/tokens', {
    name: `sdk-${scopes.length}`,
    scopes,
    expiresInDays: 1,
  });
  if (created.status !== 201) throw new Error(`token: ${created.status}`);
  return created.body.secret;
}

beforeAll(async () => {
  f = await startConnectedWorkspace({
    logDestination: { write: (line) => void lines.push(line) },
    configure: (config) => {
      config.log.level = 'debug';
    },
  });
  owner = await f.dataOwnerAccount('data-owner');
  data = await writeQueryData(f);
  const s3 = new S3Client({ ...f.configFor(owner), forcePathStyle: true });
  const iam = new IAMClient(f.configFor(owner));
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const df = events();
    for (const part of [0, 1])
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: `events/2026/part-${part}.parquet`,
          Body: df.slice(part * 2500, 2500).writeParquet(),
        }),
      );
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'private/payroll.parquet',
        Body: df.head(3).writeParquet(),
      }),
    );
    const prepared = await f.api<{
      policies: { roleName: string; externalId: string; trustPolicy: unknown };
    }>('POST', `/api/v1/workspaces/${f.workspaceId}/connections/prepare`, {
      name: 'sales',
      target,
    });
    expect(prepared.status, JSON.stringify(prepared.body)).toBe(201);
    const { policies } = prepared.body;
    const role = await iam.send(
      new CreateRoleCommand({
        RoleName: policies.roleName,
        AssumeRolePolicyDocument: JSON.stringify(policies.trustPolicy),
      }),
    );
    // The owner grants far more than the connection needs: the query's session policy must
    // take it away.
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: policies.roleName,
        PolicyName: 'ferry-connection',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: ['s3:*'],
              Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
            },
          ],
        }),
      }),
    );
    const created = await f.api('POST', `/api/v1/workspaces/${f.workspaceId}/connections`, {
      name: 'sales',
      target,
      auth: { kind: 'role', roleArn: role.Role!.Arn!, externalId: policies.externalId },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
  } finally {
    s3.destroy();
    iam.destroy();
  }
  const base = ['workspace:read', 'compute:read', 'compute:start', 'queries:run'];
  userToken = await token([...base, 'connections:read', 'connections:use']);
  narrowToken = await token([...base, 'connections:read']);
  progress('connection created');
  const options = { url: f.controlPlane.url, token: userToken, workspace: f.workspaceId };
  const [direct, proxy] = await Promise.all(
    (['direct', 'proxy'] as const).map((connectionMode) =>
      new ComputeContext({
        ...options,
        cpus: 1,
        memory: 1,
        connectionMode,
        startTimeoutSeconds: 120,
      }).start(),
    ),
  );
  ctxs.direct = direct!;
  ctxs.proxy = proxy!;
  progress('clusters Idle');
}, 300_000);

afterAll(async () => {
  for (const ctx of Object.values(ctxs)) await ctx.stop().catch(() => undefined);
  for (const ctx of Object.values(ctxs))
    await f
      ?.until(
        `cluster ${ctx.clusterId} to stop`,
        async () => ((await ctx.status()).state === 'Stopped' ? true : undefined),
        60_000,
      )
      .catch(() => undefined);
  data?.s3.destroy();
  await f?.stop();
}, 120_000);

/** The expected answer: polars in process, reading with the owner's own credentials. */
async function inProcess(): Promise<Record<string, unknown>[]> {
  const { credentials: c, endpoint } = f.configFor(owner);
  const cloudOptions = {
    aws_region: REGION,
    aws_access_key_id: c.accessKeyId,
    aws_secret_access_key: c.secretAccessKey,
    aws_endpoint_url: endpoint,
    aws_virtual_hosted_style_request: 'false',
    aws_allow_http: 'true',
  };
  const df = await pl
    .scanParquet(`s3://${bucket}/events/2026/*.parquet`, { cloudOptions })
    .groupBy('zone')
    .agg(pl.col('fare2').sum().alias('fare2'), pl.len().alias('n'))
    .collect();
  return rowsOf(df, 'zone');
}

const narrowCtx = (mode: Mode) =>
  ComputeContext.connect(ctxs[mode].clusterId, {
    url: f.controlPlane.url,
    token: narrowToken,
    workspace: f.workspaceId,
  });

describe.each(['direct', 'proxy'] as const)('%s mode', (mode) => {
  it('a plan over scanConnection returns the same rows as in process', async () => {
    const ctx = ctxs[mode];
    const expected = await inProcess();
    const lf = await scanConnection(ctx, 'sales', '2026/*.parquet');
    const query = remote(
      lf.groupBy('zone').agg(pl.col('fare2').sum().alias('fare2'), pl.len().alias('n')),
      ctx,
    );
    const envelope = query.envelope();
    expect(envelope.connections).toEqual(['sales']);
    // The plan names the location only: no credential travels with it.
    expect(String(envelope.plan)).toContain(`s3://${bucket}/events/2026/*.parquet`);
    expect(String(envelope.plan)).not.toMatch(/AccessKeyId|SecretAccessKey|ASIA|AKIA/);
    const result = await query.execute();
    expect(rowsOf(await result.toDataFrame(), 'zone')).toEqual(expected);
    // The query's record (its optimized plan too) carries no credential.
    const record = await f.until(
      `query ${result.id} recorded as finished`,
      async () => {
        const r = await f.api<{ state: string }>(
          'GET',
          `/api/v1/workspaces/${f.workspaceId}/queries/${result.id}/wait?waitSeconds=5`,
        );
        return r.body.state === 'Succeeded' ? r : undefined;
      },
      30_000,
    );
    expect(JSON.stringify(record.body)).not.toMatch(
      /SecretAccessKey|secret_access_key|aws_session_token|"Token"/,
    );
  });

  it('SQL over connection(…) returns the same rows, joined with a Worker-role scan', async () => {
    const ctx = ctxs[mode];
    const expected = await inProcess();
    const result = await sql(
      ctx,
      `SELECT zone, sum(fare2) AS fare2, count(*) AS n FROM connection('sales', '2026/*.parquet') GROUP BY zone`,
    ).execute();
    expect(rowsOf(await result.toDataFrame(), 'zone')).toEqual(expected);
    // One plan, two credentials: the connection's scan and the workspace's own bucket.
    const own = pl.scanParquet(data.trips);
    const joined = await remote(
      (await scanConnection(ctx, 'sales', '2026/part-0.parquet'))
        .select('zone')
        .unique()
        .join(own.select('zone', 'fare').groupBy('zone').agg(pl.len().alias('trips')), {
          on: 'zone',
        }),
      ctx,
    ).execute();
    expect(joined.rowCount).toBeGreaterThan(0);
  });

  it('a read outside the prefix fails with AWS’s AccessDenied, though the role allows it', async () => {
    const ctx = ctxs[mode];
    await scanConnection(ctx, 'sales', '2026/part-0.parquet'); // the ctx knows the connection
    const outside = pl.scanParquet(`s3://${bucket}/private/payroll.parquet`);
    const failure = await remote(outside, ctx, { connections: ['sales'] })
      .execute()
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(QueryFailedError);
    // S3's AccessDenied names no principal; what tells the sessions apart: the Worker role
    // cannot read the owner's bucket even under the prefix, so a query that does not name the
    // connection fails there, and the one that names it reads (the test above). The scans in
    // the connection's bucket read with its session, whose policy refuses what lies outside.
    expect((failure as Error).message).toMatch(/AccessDenied/);
    expect((failure as Error).message).toContain(`s3://${bucket}/private/payroll.parquet`);
    const unnamed = await ComputeContext.connect(ctx.clusterId, {
      url: f.controlPlane.url,
      token: userToken,
      workspace: f.workspaceId,
    });
    const inside = pl.scanParquet(`s3://${bucket}/events/2026/part-0.parquet`);
    expect(remote(inside, unnamed).envelope().connections).toBeUndefined();
    const roleOnly = await remote(inside, unnamed)
      .execute()
      .catch((e: unknown) => e);
    expect(roleOnly).toBeInstanceOf(QueryFailedError);
    expect((roleOnly as Error).message).toMatch(/AccessDenied/);
    const named = await remote(inside, unnamed, { connections: ['sales'] }).execute();
    expect(named.rowCount).toBe(2500);
    // And a path that tries to climb out is refused before anything is sent.
    await expect(scanConnection(ctx, 'sales', '../private/payroll.parquet')).rejects.toMatchObject({
      code: 'path_outside_connection',
    });
  });

  it('a credential without connections:use is refused; another workspace’s connection is 404', async () => {
    const narrow = await narrowCtx(mode);
    const lf = await scanConnection(narrow, 'sales', '2026/*.parquet');
    const refused = await remote(lf, narrow)
      .execute()
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(FerryAuthError);
    expect((refused as FerryError).status).toBe(403);
    const sqlRefused = await sql(narrow, `SELECT * FROM connection('sales', '2026/*.parquet')`)
      .execute()
      .catch((e: unknown) => e);
    expect(sqlRefused).toBeInstanceOf(FerryAuthError);

    // A connection of another workspace is not this one's to name.
    const other = await f.api<{ id: string }>('POST', `/api/v1/orgs/${f.orgId}/workspaces`, {
      name: `Partners ${mode}`,
    });
    expect(other.status).toBe(201);
    const otherWs = `/api/v1/workspaces/${other.body.id}`;
    const name = `partner-${mode}`;
    const reserved = await f.api<{ policies: { externalId: string } }>(
      'POST',
      `${otherWs}/connections/prepare`,
      { name, target },
    );
    expect(reserved.status).toBe(201);
    const theirs = await f.api('POST', `${otherWs}/connections`, {
      name,
      target,
      auth: {
        kind: 'role',
        roleArn: `arn:aws:iam::${owner.accountId}:role/partner`,
        externalId: reserved.body.policies.externalId,
      },
      skipTest: true,
    });
    expect(theirs.status, JSON.stringify(theirs.body)).toBe(201);
    const ctx = ctxs[mode];
    const answers = [];
    for (const named of [name, 'no-such-connection']) {
      const e = await sql(ctx, `SELECT * FROM connection('${named}', 'x.parquet')`)
        .execute()
        .catch((err: unknown) => err);
      answers.push([(e as FerryError).status, (e as FerryError).code]);
    }
    expect(answers[0]).toEqual([404, 'not_found']);
    expect(answers[1]).toEqual(answers[0]);
  });
});

it('no session credential of the connection reached a log line', () => {
  const text = lines.join('\n');
  expect(text).not.toMatch(/"?secretAccessKey"?\s*[:=]\s*"[A-Za-z0-9/+]{20,}/);
  expect(text).not.toMatch(/aws_secret_access_key/);
});
