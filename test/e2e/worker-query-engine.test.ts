/**
 * The worker's query engine against localcloud S3, with a role's temporary credentials
 * (as IMDS gives them on a node): a plan and a SQL query return the same rows as in-process,
 * the result lands as Parquet in the results bucket and its presigned URL reads without
 * credentials, a sink writes to S3, polars' error comes back verbatim, a bucket outside
 * the role's scope fails with AccessDenied, a long query is cancelled at once and the next
 * one runs, a timeout stops a query, a dead executor fails its query with the node's
 * memory, and unsafe plans and version mismatches are refused.
 */
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { startLocalCloudHarness, type LocalCloudHarness } from '@ferry/localcloud/testing';
import {
  createExecutorPool,
  createQueryEngine,
  executorAwsEnv,
  type QueryEngine,
} from '@ferry/worker/query';
import pl from 'nodejs-polars';
import { totalmem } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REGION = 'us-east-1';
const POLARS = '0.26.1';
const FERRY = '0.1.0';
let cloud: LocalCloudHarness;
let engine: QueryEngine;
let creds: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
let adminS3: S3Client;
const ROWS = 200_000;

const envelope = (e: Record<string, unknown>) => ({
  ferryVersion: FERRY,
  polarsVersion: POLARS,
  format: 'polars-json',
  ...e,
});
const plan = (lf: pl.LazyDataFrame) => lf.serialize('json').toString();

/** The pid of the executor running a query, once it runs (never 0: kill(0) is the group). */
async function runningPid(queryId: string): Promise<number> {
  for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
    const pid = engine.get(queryId)?.run?.pid;
    if (pid !== undefined && pid > 0) return pid;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`query ${queryId} never reached an executor`);
}

async function runToEnd(e: Record<string, unknown>) {
  const r = engine.submit({ envelope: envelope(e), actorId: 'usr_test', mode: 'direct' });
  const done = await engine.wait(r.queryId, 60_000);
  if (done === undefined) throw new Error('record lost');
  return done;
}

beforeAll(async () => {
  cloud = await startLocalCloudHarness({ logLevel: 'warn' });
  const config = cloud.clientConfig(await cloud.createAccount('customer'), REGION);
  adminS3 = new S3Client(config);
  for (const b of ['acme-data', 'acme-results', 'acme-secret'])
    await adminS3.send(new CreateBucketCommand({ Bucket: b }));
  const df = pl.DataFrame({
    zone: Array.from({ length: ROWS }, (_, i) => `z${i % 13}`),
    fare: Array.from({ length: ROWS }, (_, i) => (i % 97) * 0.5),
  });
  await adminS3.send(
    new PutObjectCommand({
      Bucket: 'acme-data',
      Key: 'trips/part-0.parquet',
      Body: df.writeParquet(),
    }),
  );
  await adminS3.send(
    new PutObjectCommand({
      Bucket: 'acme-secret',
      Key: 'x.parquet',
      Body: df.head(3).writeParquet(),
    }),
  );
  const iam = new IAMClient(config);
  const sts = new STSClient(config);
  const role = await iam.send(
    new CreateRoleCommand({
      RoleName: 'worker',
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }],
      }),
    }),
  );
  await iam.send(
    new PutRolePolicyCommand({
      RoleName: 'worker',
      PolicyName: 'data',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['s3:GetObject', 's3:PutObject', 's3:ListBucket', 's3:AbortMultipartUpload'],
            Resource: [
              'arn:aws:s3:::acme-data',
              'arn:aws:s3:::acme-data/*',
              'arn:aws:s3:::acme-results',
              'arn:aws:s3:::acme-results/*',
            ],
          },
        ],
      }),
    }),
  );
  const assumed = await sts.send(
    new AssumeRoleCommand({
      RoleArn: role.Role?.Arn ?? '',
      RoleSessionName: 'worker',
      DurationSeconds: 3600,
    }),
  );
  const c = assumed.Credentials;
  creds = {
    accessKeyId: c?.AccessKeyId ?? '',
    secretAccessKey: c?.SecretAccessKey ?? '',
    sessionToken: c?.SessionToken ?? '',
  };
  iam.destroy();
  sts.destroy();
  const access = { region: REGION, endpoint: cloud.url };
  const pool = createExecutorPool({
    size: 2,
    env: () => ({ PATH: process.env.PATH ?? '', ...executorAwsEnv(creds, access) }),
    log: () => undefined,
  });
  engine = createQueryEngine({
    pool,
    ferryVersion: FERRY,
    polarsVersion: await pool.polarsVersion,
    credentials: () => Promise.resolve(creds),
    access,
    resultsBucket: () => 'acme-results',
    memoryBytes: totalmem(),
    now: () => Date.now(),
  });
}, 120_000);

afterAll(async () => {
  await engine?.stop();
  adminS3?.destroy();
  await cloud?.stop();
});

const inProcess = () =>
  pl
    .DataFrame({
      zone: Array.from({ length: ROWS }, (_, i) => `z${i % 13}`),
      fare: Array.from({ length: ROWS }, (_, i) => (i % 97) * 0.5),
    })
    .lazy()
    .groupBy('zone')
    .agg(pl.col('fare').mean().alias('avg_fare'), pl.len().alias('n'))
    .sort('zone')
    .collectSync()
    .toRecords();

describe('the worker query engine on localcloud S3', () => {
  it('runs a plan: same rows as in-process, Parquet in the results bucket, head as Arrow IPC, presigned URL', async () => {
    const lf = pl
      .scanParquet('s3://acme-data/trips/*.parquet')
      .groupBy('zone')
      .agg(pl.col('fare').mean().alias('avg_fare'), pl.len().alias('n'))
      .sort('zone');
    const r = await runToEnd({ kind: 'plan', plan: plan(lf), headRows: 5 });
    expect(r.error).toBeNull();
    expect(r.state).toBe('Succeeded');
    expect(r.rowCount).toBe(13);
    expect(r.headRows).toBe(5);
    expect(r.location).toBe(`s3://acme-results/results/${r.queryId}/part-0.parquet`);
    expect(r.schema).toEqual([
      { name: 'zone', dtype: 'String' },
      { name: 'avg_fare', dtype: 'Float64' },
      { name: 'n', dtype: 'UInt32' },
    ]);
    expect(r.optimizedPlan).toContain('acme-data');
    expect(r.profile.engine).toBe('streaming');
    expect(r.profile.phases.executionMs).toBeGreaterThan(0);
    const head = pl.readIPCStream(Buffer.from(r.head ?? new Uint8Array()));
    expect(head.toRecords()).toEqual(inProcess().slice(0, 5));
    // The head answered first; the result URLs wait for the write, which completes the record.
    const urls = await engine.resultUrls(r.queryId);
    expect(r.bytes).toBeGreaterThan(100);
    expect(urls?.files[0]?.bytes).toBe(r.bytes);
    expect(r.profile.phases.resultWriteMs).toBeGreaterThan(0);
    const url = urls?.files[0]?.url ?? '';
    expect(url).toContain('X-Amz-Signature');
    const fetched = await fetch(url);
    expect(fetched.status).toBe(200);
    const whole = pl.readParquet(Buffer.from(await fetched.arrayBuffer()));
    expect(whole.toRecords()).toEqual(inProcess());
  }, 120_000);

  it('runs SQL with read_parquet, and sinks to S3', async () => {
    const r = await runToEnd({
      kind: 'sql',
      sql: "SELECT zone, avg(fare) AS avg_fare, count(*) AS n FROM read_parquet('s3://acme-data/trips/*.parquet') GROUP BY zone ORDER BY zone",
    });
    expect(r.error).toBeNull();
    const got = pl.readIPCStream(Buffer.from(r.head ?? new Uint8Array()));
    expect(got.toRecords().map((x) => ({ ...x, n: Number(x.n) }))).toEqual(inProcess());

    const s = await runToEnd({
      kind: 'plan',
      plan: plan(
        pl.scanParquet('s3://acme-data/trips/*.parquet').filter(pl.col('zone').eq(pl.lit('z1'))),
      ),
      sink: { format: 'parquet', uri: 's3://acme-results/out/z1.parquet' },
    });
    expect(s.error).toBeNull();
    expect(s.location).toBe('s3://acme-results/out/z1.parquet');
    const url = (await engine.resultUrls(s.queryId))?.files[0]?.url ?? '';
    const back = pl.readParquet(Buffer.from(await (await fetch(url)).arrayBuffer()));
    expect(back.height).toBe(Math.ceil((ROWS - 1) / 13));
  }, 120_000);

  it("passes polars' error verbatim, and AWS's AccessDenied for a bucket outside the role", async () => {
    const bad = await runToEnd({
      kind: 'plan',
      plan: plan(pl.scanParquet('s3://acme-data/trips/*.parquet').select(pl.col('nope'))),
    });
    expect(bad.state).toBe('Failed');
    expect(bad.error?.code).toBe('polars_error');
    expect(bad.error?.message).toMatch(/nope/);
    const sqlBad = await runToEnd({ kind: 'sql', sql: 'SELEC nonsense' });
    expect(sqlBad.error?.message).toContain('sql parser error');
    const denied = await runToEnd({
      kind: 'plan',
      plan: plan(pl.scanParquet('s3://acme-secret/x.parquet')),
    });
    expect(denied.state).toBe('Failed');
    expect(denied.error?.message).toMatch(/AccessDenied/);
  }, 120_000);

  it('refuses unsafe plans and a version mismatch before queueing', () => {
    const submit = (e: Record<string, unknown>) => () =>
      engine.submit({ envelope: envelope(e), actorId: 'usr_test', mode: 'direct' });
    expect(submit({ kind: 'plan', plan: plan(pl.scanParquet('/etc/passwd')) })).toThrow(
      /local path/,
    );
    expect(
      submit({
        kind: 'plan',
        plan: plan(
          pl.scanParquet('s3://acme-data/x', { cloudOptions: { aws_secret_access_key: 'x' } }),
        ),
      }),
    ).toThrow(/aws_secret_access_key/);
    expect(submit({ kind: 'sql', sql: "SELECT * FROM read_csv('/etc/passwd')" })).toThrow(
      /local path/,
    );
    expect(() =>
      engine.submit({
        envelope: { ...envelope({ kind: 'sql', sql: 'SELECT 1' }), polarsVersion: '0.20.0' },
        actorId: 'u',
        mode: 'direct',
      }),
    ).toThrow(/nodejs-polars 0\.20\.0 on the client, 0\.26\.1 on the cluster/);
  });

  it('cancels a long query at once, and the next one runs; a timeout fails a query', async () => {
    // 4·10¹⁰ joined rows: minutes of CPU.
    const trips = pl.scanParquet('s3://acme-data/trips/*.parquet');
    const long = trips
      .join(trips.select(pl.col('fare').alias('f2')), { how: 'cross' })
      .select(pl.col('fare').add(pl.col('f2')).sum());
    const r = engine.submit({
      envelope: envelope({ kind: 'plan', plan: plan(long) }),
      actorId: 'u',
      mode: 'direct',
    });
    const pid = await runningPid(r.queryId);
    await new Promise((res) => setTimeout(res, 1500));
    expect(engine.get(r.queryId)?.error).toBeNull();
    expect(engine.get(r.queryId)?.state).toBe('Running');
    const t0 = Date.now();
    engine.cancel(r.queryId);
    const done = await engine.wait(r.queryId, 10_000);
    expect(done?.state).toBe('Canceled');
    expect(Date.now() - t0).toBeLessThan(1000);
    // The executor that ran it is gone: no CPU is spent on the query any more.
    expect(() => process.kill(pid, 0)).toThrow();
    const next = await runToEnd({ kind: 'sql', sql: 'SELECT 1 AS one' });
    expect(next.state).toBe('Succeeded');

    const timed = await runToEnd({ kind: 'plan', plan: plan(long), timeoutSeconds: 1 });
    expect(timed.state).toBe('Failed');
    expect(timed.error?.code).toBe('timeout');
  }, 120_000);

  it('fails a query whose executor dies (out of memory) with the node memory and what would fit', async () => {
    const trips = pl.scanParquet('s3://acme-data/trips/*.parquet');
    const long = trips
      .join(trips.select(pl.col('fare').alias('f2')), { how: 'cross' })
      .select(pl.col('fare').add(pl.col('f2')).sum());
    const r = engine.submit({
      envelope: envelope({ kind: 'plan', plan: plan(long) }),
      actorId: 'u',
      mode: 'direct',
    });
    const pid = await runningPid(r.queryId);
    await new Promise((res) => setTimeout(res, 1500));
    // What the kernel's OOM killer does to the process using the memory.
    process.kill(pid, 'SIGKILL');
    const done = await engine.wait(r.queryId, 10_000);
    expect(done?.state).toBe('Failed');
    expect(done?.error?.code).toBe('executor_died');
    expect(done?.error?.message).toMatch(
      /killed by SIGKILL, most likely out of memory: this node has [\d.]+ GiB/,
    );
    expect(done?.error?.message).toMatch(/memory: \d+/);
    expect((await runToEnd({ kind: 'sql', sql: 'SELECT 2 AS two' })).state).toBe('Succeeded');
  }, 120_000);
});
