/**
 * Remote queries end to end on localcloud, through the SDK (`@ferry/sdk` from source)
 * against a real control plane and two real clusters, one per connection mode: a plan and a
 * SQL query return the same rows as in process; a sink lands in S3 and reads back; the whole
 * result reads through presigned URLs with no AWS credentials in the client's environment;
 * a failing query reports polars' error, a bucket outside the Worker role's scope AWS's
 * AccessDenied; credentials in a plan, a local path and an in-memory frame above the limit
 * are refused before sending (the frame by the worker too), a version mismatch by the SDK
 * (direct mode: it asks the cluster's versions first) and by the worker; a canceled long
 * query stops using the CPU within a second and the next query runs. In direct mode the worker refuses no token, another cluster's token and
 * an expired one.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import {
  ComputeContext,
  PlanRefusedError,
  QueryCanceledError,
  QueryFailedError,
  remote,
  sql,
  VersionMismatchError,
} from '@ferry/sdk';
import { signQueryToken } from '@ferry/core/query-token';
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pl from 'nodejs-polars';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { querySigningKey } from '../../apps/control-plane/src/queries/query-signing-key.ts';
import { checkVersions } from '../../packages/sdk/src/query-builder.ts';
import { workerRequest, type WorkerEndpoint } from '../../packages/sdk/src/worker-client.ts';
import { customerInstances } from './fixtures/compute-helpers.ts';
import {
  startConnectedWorkspace,
  type ConnectedWorkspace,
} from './fixtures/connected-workspace.ts';
import {
  commandLine,
  cpuTicks,
  descendants,
  isRunning,
  queryToken,
  rowsOf,
  tripsFrame,
  writeQueryData,
  type QueryData,
} from './fixtures/query-helpers.ts';

type Mode = 'direct' | 'proxy';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const run = promisify(execFile);

let f: ConnectedWorkspace;
let data: QueryData;
let token: string;
const ctxs = {} as Record<Mode, ComputeContext>;
const began = Date.now();
const progress = (line: string) =>
  console.log(`remote-queries +${((Date.now() - began) / 1000).toFixed(1)}s: ${line}`);

/**
 * A query's record once it is final: in direct mode the worker reports the end to the
 * control plane after answering the client.
 */
function finalRecord<T>(queryId: string) {
  return f.until(
    `query ${queryId} recorded as finished`,
    async () => {
      const r = await f.api<T & { state: string }>(
        'GET',
        `/api/v1/workspaces/${f.workspaceId}/queries/${queryId}/wait?waitSeconds=5`,
      );
      return ['Queued', 'Running'].includes(r.body.state) ? undefined : r;
    },
    30_000,
  );
}

beforeAll(async () => {
  f = await startConnectedWorkspace();
  data = await writeQueryData(f);
  token = await queryToken(f);
  progress('workspace connected');
  const options = { url: f.controlPlane.url, token, workspace: f.workspaceId, cpus: 1, memory: 1 };
  const [direct, proxy] = await Promise.all(
    (['direct', 'proxy'] as const).map((connectionMode) =>
      new ComputeContext({ ...options, connectionMode, startTimeoutSeconds: 120 }).start(),
    ),
  );
  ctxs.direct = direct!;
  ctxs.proxy = proxy!;
  progress('clusters Idle');
}, 240_000);

afterAll(async () => {
  for (const ctx of Object.values(ctxs)) await ctx.stop().catch(() => undefined);
  for (const ctx of Object.values(ctxs)) {
    await f
      ?.until(
        `cluster ${ctx.clusterId} to stop`,
        async () => ((await ctx.status()).state === 'Stopped' ? true : undefined),
        60_000,
      )
      .catch(() => undefined);
  }
  data?.s3.destroy();
  await f?.stop();
  progress('stopped');
}, 120_000);

const byZone = (lf: pl.LazyDataFrame) =>
  lf
    .groupBy('zone')
    .agg(
      pl.col('fare').mean().alias('avg_fare'),
      pl.col('distance').sum().alias('distance'),
      pl.len().alias('n'),
    );

const SQL_BY_ZONE = (trips: string) =>
  `SELECT zone, avg(fare) AS avg_fare, sum(distance) AS distance, count(*) AS n FROM read_parquet('${trips}') GROUP BY zone`;

/** A plan that would take minutes of CPU (a 4·10¹⁰-row cross join). */
const longPlan = () => {
  const trips = pl.scanParquet(data.trips);
  return trips
    .join(trips.select(pl.col('fare').alias('f2')), { how: 'cross' })
    .select(pl.col('fare').add(pl.col('f2')).sum());
};

/** The node process (the localcloud instance) of a cluster. */
async function nodePid(ctx: ComputeContext): Promise<number> {
  const status = await ctx.status();
  const instanceId = status.nodes[0]?.instanceId;
  const inst = (await f.instances()).find((i) => i.instanceId === instanceId);
  if (inst?.pid === undefined) throw new Error(`no process for ${instanceId}`);
  return inst.pid;
}

describe.each(['direct', 'proxy'] as const)('remote queries in %s mode', (mode) => {
  it('a plan returns the same rows as in process; the whole result reads without AWS credentials', async () => {
    const ctx = ctxs[mode];
    const expected = rowsOf(byZone(tripsFrame().lazy()).collectSync(), 'zone');
    // A head of 5 rows: the other 8 come only from the full result, in the results bucket.
    const result = await remote(byZone(pl.scanParquet(data.trips)), ctx, {
      labels: { test: mode },
      headRows: 5,
    }).execute();
    expect(result.rowCount).toBe(13);
    expect(result.head.height).toBe(5);
    expect(expected).toEqual(expect.arrayContaining(rowsOf(result.head, 'zone')));
    expect(result.location).toBe(`s3://${data.resultsBucket}/results/${result.id}/part-0.parquet`);
    // The client holds no AWS settings at all: the presigned URLs are all it needs.
    const saved = Object.entries(process.env).filter(([k]) => k.startsWith('AWS_'));
    for (const [k] of saved) delete process.env[k];
    try {
      expect(rowsOf(await result.toDataFrame(), 'zone')).toEqual(expected);
    } finally {
      Object.assign(process.env, Object.fromEntries(saved));
    }
    const record = await finalRecord<{ mode: string; labels: Record<string, string> }>(result.id);
    expect(record.body).toMatchObject({ state: 'Succeeded', mode, labels: { test: mode } });
  }, 60_000);

  it('SQL returns the same rows as in process', async () => {
    const ctx = ctxs[mode];
    const ctxIn = pl.SQLContext({ trips: tripsFrame() });
    const expected = rowsOf(
      ctxIn
        .execute(
          'SELECT zone, avg(fare) AS avg_fare, sum(distance) AS distance, count(*) AS n FROM trips GROUP BY zone',
        )
        .collectSync(),
      'zone',
    );
    const result = await sql(ctx, SQL_BY_ZONE(data.trips)).execute();
    expect(rowsOf(result.head, 'zone')).toEqual(expected);
    // 13 rows, a head of up to 100: the head is the whole result.
    expect(rowsOf(await result.toDataFrame(), 'zone')).toEqual(expected);
    const top = await sql(ctx, `${SQL_BY_ZONE(data.trips)} ORDER BY zone LIMIT 5`).show(3);
    expect(rowsOf(top, 'zone')).toEqual(expected.slice(0, 3));
  }, 60_000);

  it('sinks to S3, and the sink reads back', async () => {
    const uri = `s3://${data.bucket}/out/${mode}/by-zone.parquet`;
    const result = await remote(byZone(pl.scanParquet(data.trips)), ctxs[mode]).sinkParquet(uri);
    expect(result.location).toBe(uri);
    const object = await data.s3.send(
      new GetObjectCommand({ Bucket: data.bucket, Key: `out/${mode}/by-zone.parquet` }),
    );
    const back = pl.readParquet(Buffer.from(await object.Body!.transformToByteArray()));
    expect(rowsOf(back, 'zone')).toEqual(rowsOf(byZone(tripsFrame().lazy()).collectSync(), 'zone'));
  }, 60_000);

  it("a failing query reports polars' error; another bucket, AWS's AccessDenied", async () => {
    const ctx = ctxs[mode];
    const bad = await remote(pl.scanParquet(data.trips).select(pl.col('nope')), ctx)
      .execute()
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(QueryFailedError);
    expect((bad as QueryFailedError).code).toBe('polars_error');
    expect((bad as QueryFailedError).message).toMatch(/nope/);

    const denied = await remote(pl.scanParquet(`s3://${data.secretBucket}/payroll.parquet`), ctx)
      .execute()
      .catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(QueryFailedError);
    expect((denied as QueryFailedError).message).toMatch(/AccessDenied/);
    const record = await finalRecord<{ error: { message: string } }>(
      (denied as QueryFailedError).queryId,
    );
    expect(record.body.state).toBe('Failed');
    expect(record.body.error.message).toMatch(/AccessDenied/);
  }, 60_000);

  it('credentials in a plan, a local path and a large in-memory frame are refused before sending; a version mismatch by the SDK and the worker', async () => {
    const ctx = ctxs[mode];
    const before = await f.api<{ items: unknown[] }>(
      'GET',
      `/api/v1/workspaces/${f.workspaceId}/queries?limit=100`,
    );
    const withKeys = pl.scanParquet(data.trips, {
      cloudOptions: { aws_access_key_id: 'AKIAEXAMPLE', aws_secret_access_key: 'hush' },
    });
    const keys = await remote(withKeys, ctx)
      .execute()
      .catch((e: unknown) => e);
    expect(keys).toBeInstanceOf(PlanRefusedError);
    expect((keys as PlanRefusedError).code).toBe('credentials_in_plan');
    expect((keys as Error).message).toMatch(/aws_access_key_id/);
    expect((keys as Error).message).toMatch(/own role/i);
    expect((keys as Error).message).not.toContain('AKIAEXAMPLE');
    const local = await remote(pl.scanParquet('/etc/passwd'), ctx)
      .execute()
      .catch((e: unknown) => e);
    expect(local).toBeInstanceOf(PlanRefusedError);
    expect((local as PlanRefusedError).code).toBe('local_path');
    expect((local as Error).message).toMatch(/local path/);
    // A frame built in memory above the limit (1 MiB) rides in the plan: refused too.
    const big = pl.DataFrame({ fare: Array.from({ length: 200_000 }, (_, i) => i * 0.5) });
    const inMemory = await remote(big.lazy().select(pl.col('fare').sum()), ctx)
      .execute()
      .catch((e: unknown) => e);
    expect(inMemory).toBeInstanceOf(PlanRefusedError);
    expect((inMemory as PlanRefusedError).code).toBe('in_memory_frame_too_large');
    expect((inMemory as Error).message).toMatch(/in-memory/i);
    // Nothing was sent.
    const after = await f.api<{ items: unknown[] }>(
      'GET',
      `/api/v1/workspaces/${f.workspaceId}/queries?limit=100`,
    );
    expect(after.body.items.length).toBe(before.body.items.length);

    // A client of another version: the worker refuses its envelope, naming both versions.
    const envelope = {
      ...remote(byZone(pl.scanParquet(data.trips)), ctx).envelope(),
      polarsVersion: '0.20.0',
    };
    const message = /nodejs-polars 0\.20\.0 on the client, 0\.26\.1 on the cluster/;
    if (mode === 'direct') {
      // The SDK asks the cluster's versions first and refuses, naming both and the fix.
      const refused = await checkVersions(ctx.transport(), {
        ferryVersion: '0.0.9',
        polarsVersion: '0.20.0',
      }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(VersionMismatchError);
      expect((refused as Error).message).toMatch(
        /ferry 0\.0\.9 on the client, 0\.1\.0 on the cluster/,
      );
      expect((refused as Error).message).toMatch(message);
      expect((refused as Error).message).toContain(
        '`npm install @ferry/sdk@0.1.0 nodejs-polars@0.26.1`',
      );
      // The worker refuses it as well, when a client skips the check.
      const endpoint = await directEndpoint(ctx);
      const res = await workerRequest(endpoint, 'POST', '/v1/queries', { json: { envelope } });
      expect(res.status).toBe(400);
      const body = JSON.parse(res.body.toString()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('version_mismatch');
      expect(body.error.message).toMatch(message);
      // And an in-memory frame above the limit, sent anyway.
      const frame = remote(big.lazy().select(pl.col('fare').sum()), ctx).envelope();
      const tooBig = await workerRequest(endpoint, 'POST', '/v1/queries', {
        json: { envelope: frame },
      });
      expect(tooBig.status).toBe(400);
      expect(JSON.parse(tooBig.body.toString())).toMatchObject({
        error: { code: 'in_memory_frame_too_large' },
      });
    } else {
      const submitted = await f.api<{ id: string }>(
        'POST',
        `/api/v1/workspaces/${f.workspaceId}/clusters/${ctx.clusterId}/queries`,
        { envelope },
      );
      expect(submitted.status).toBe(201);
      const done = await ctx.query(submitted.body.id).wait({ timeoutSeconds: 30 });
      expect(done.state).toBe('Failed');
      expect(done.error?.code).toBe('version_mismatch');
      expect(done.error?.message).toMatch(message);
    }
  }, 60_000);

  it('cancelling a long query stops its CPU use within a second; the next query runs', async () => {
    const ctx = ctxs[mode];
    const node = await nodePid(ctx);
    const handle = remote(longPlan(), ctx).submit();
    const id = await handle.id();
    await f.until(
      'the long query to run',
      async () => ((await handle.status()).state === 'Running' ? true : undefined),
      30_000,
    );
    // The executor running it: the node's executor that burns CPU.
    const executors = descendants(node).filter((p) =>
      commandLine(p.pid).includes('executor-child'),
    );
    await new Promise((r) => setTimeout(r, 2000));
    const busy = executors
      .map((p) => ({ ...p, used: (cpuTicks(p.pid) ?? p.ticks) - p.ticks }))
      .sort((a, b) => b.used - a.used)[0];
    expect(busy?.used, 'an executor runs the query').toBeGreaterThan(10);

    const t0 = Date.now();
    await handle.cancel();
    // Killed, not merely paused: the process is gone (or a zombie) within the second.
    while (isRunning(busy!.pid) && Date.now() - t0 < 3000)
      await new Promise((r) => setTimeout(r, 20));
    const stoppedAfter = Date.now() - t0;
    progress(`${mode}: the canceled query's executor ended ${stoppedAfter} ms after cancel()`);
    expect(isRunning(busy!.pid)).toBe(false);
    expect(stoppedAfter).toBeLessThan(1000);
    const status = await handle.wait({ timeoutSeconds: 30 });
    expect(status.state).toBe('Canceled');
    await expect(ctx.query(id).result()).rejects.toBeInstanceOf(QueryCanceledError);

    const next = await sql(ctx, 'SELECT 1 AS one').execute();
    expect(next.head.toRecords()).toEqual([{ one: 1 }]);
  }, 90_000);
});

/** The worker's address, port and fingerprint with a fresh token, from `connect`. */
async function directEndpoint(ctx: ComputeContext): Promise<WorkerEndpoint> {
  const res = await f.api<{
    node: { address: string; port: number; tlsFingerprint: string };
    token: string;
  }>('POST', `/api/v1/workspaces/${f.workspaceId}/clusters/${ctx.clusterId}/connect`);
  expect(res.status).toBe(200);
  return { ...res.body.node, token: res.body.token };
}

describe('the worker checks query tokens (direct mode)', () => {
  it('connects at the public address; refuses no token, a token for another cluster and an expired token', async () => {
    const good = await directEndpoint(ctxs.direct);
    // The address given is the node's public one, as EC2 reports it.
    const instanceId = (await ctxs.direct.status()).nodes[0]?.instanceId ?? '';
    const [inst] = await customerInstances(f.customerEc2(), [
      { Name: 'instance-id', Values: [instanceId] },
    ]);
    expect(inst?.PublicIpAddress).toBeDefined();
    expect(good.address).toBe(inst?.PublicIpAddress);
    const list = (t: string | undefined) =>
      workerRequest(
        { ...good, token: t ?? '' },
        'GET',
        `/v1/queries/qry_00000000000000000000000000`,
        { auth: t !== undefined },
      );
    const codeOf = (body: Buffer) =>
      (JSON.parse(body.toString()) as { error: { code: string } }).error.code;
    const ok = await list(good.token);
    expect(ok.status).toBe(404); // authenticated: the query is just unknown

    const none = await list(undefined);
    expect([none.status, codeOf(none.body)]).toEqual([401, 'unauthenticated']);

    // Tokens signed with the control plane's real key, naming something else.
    const key = await querySigningKey(f.resources);
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      v: 1 as const,
      sub: f.userId,
      cluster: ctxs.direct.clusterId,
      workspace: f.workspaceId,
      perm: 'queries:run' as const,
      iat: now,
      exp: now + 600,
      jti: 'test',
    };
    const other = await list(
      signQueryToken(key.privateKey, { ...claims, cluster: ctxs.proxy.clusterId }),
    );
    expect([other.status, codeOf(other.body)]).toEqual([403, 'token_wrong_cluster']);
    const expired = await list(
      signQueryToken(key.privateKey, { ...claims, iat: now - 1200, exp: now - 600 }),
    );
    expect([expired.status, codeOf(expired.body)]).toEqual([401, 'token_expired']);
  });
});

describe('the examples of docs/queries.md run against the clusters', () => {
  /** Runs an example as a user would, with no AWS setting at all in its environment. */
  async function example(name: string, mode: Mode, env: Record<string, string> = {}) {
    const { stdout } = await run(process.execPath, [join(REPO, 'examples', name)], {
      cwd: REPO,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: tmpdir(),
        FERRY_URL: f.controlPlane.url,
        FERRY_TOKEN: token,
        FERRY_WORKSPACE: f.workspaceId,
        FERRY_CLUSTER: ctxs[mode].clusterId,
        FERRY_EXAMPLE_TRIPS: data.trips,
        ...env,
      },
      timeout: 60_000,
    });
    return stdout;
  }

  it('plan.ts: head, rows, location, the whole result and a sink', async () => {
    const sink = `s3://${data.bucket}/out/example/by-zone.parquet`;
    const out = await example('plan.ts', 'direct', { FERRY_EXAMPLE_SINK: sink });
    expect(out).toContain('rows: 13');
    expect(out).toMatch(
      new RegExp(`location: s3://${data.resultsBucket}/results/qry_\\w+/part-0\\.parquet`),
    );
    expect(out).toContain('downloaded: 13 rows');
    expect(out).toContain(`sunk to: ${sink}`);
  }, 90_000);

  it('sql.ts in proxy mode', async () => {
    const out = await example('sql.ts', 'proxy');
    expect(out).toContain('zones: 5');
    expect(out).toContain('z0');
  }, 90_000);

  it('submit-cancel.ts', async () => {
    const out = await example('submit-cancel.ts', 'direct');
    expect(out).toMatch(/submitted: qry_\w+/);
    expect(out).toContain('state: Running');
    expect(out).toContain('after cancel: Canceled');
    expect(out).toContain('next query: Succeeded');
  }, 90_000);
});
