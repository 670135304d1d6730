/**
 * Kinesis landing end to end on localcloud, with the control plane as its own process
 * (`ferry server` on PostgreSQL) and a cluster of two nodes. A data owner's stream (another
 * account) with thousands of records across shards, resharded halfway (a split: a closed
 * parent and two children), is read through a Kinesis connection (the owner's role, assumed
 * with the external ID) and landed as Parquet in the workspace's results bucket; the landed
 * table is read back and queried on the cluster: every record exactly once (count and
 * sequence numbers), each shard's records in sequence order, parents finished before their
 * children started. Landed into an S3 connection's write prefix instead (the owner's bucket,
 * a role allowing all of S3 there), the files are under the ingestion's folder only, and the
 * session the worker gets writes nowhere else. Continuous ingestions from LATEST land exactly what is put after their
 * start — also while records keep arriving and the control plane, then the worker landing
 * them, is SIGKILLed (the cluster's other node takes over once the dead node's claim lapses).
 */
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
  SplitShardCommand,
} from '@aws-sdk/client-kinesis';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  createResources,
  ingestionDestinationCredentials,
  type OwnedResources,
} from '@ferry/control-plane';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { ComputeContext, remote } from '@ferry/sdk';
import pl from 'nodejs-polars';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  REGION,
  until,
  workerCommand,
  type Account,
  type ConnectedWorkspace,
} from './fixtures/connected-workspace.ts';
import { commandLine } from './fixtures/query-helpers.ts';
import { handOverToServer, type ServerHandover } from './fixtures/server-handover.ts';

vi.setConfig({ testTimeout: 400_000, hookTimeout: 600_000 });

const began = Date.now();
const progress = (line: string) =>
  console.log(`kinesis-landing +${((Date.now() - began) / 1000).toFixed(1)}s: ${line}`);

const STREAM = 'clickstream';
const BEFORE_SPLIT = 1500;
const AFTER_SPLIT = 1500;

let world: ServerHandover | undefined;
let f: ConnectedWorkspace;
let token = '';
let owner: Account;
let kinesis: KinesisClient;
let s3: S3Client;
/** The data owner's S3, where the lake connection's bucket is. */
let ownerS3: S3Client;
/** The control plane's resources on the process's database (for the destination session). */
let resources: OwnedResources | undefined;
const LAKE_BUCKET = 'owner-lake';
let ctx: ComputeContext | undefined;
/** Every record put: its sequence number → its `n`. */
const put = new Map<string, number>();

interface IngestionView {
  id: string;
  state: string;
  stateReason: string | null;
  location: string;
  records: number;
  files: number;
  nodeId: string | null;
  shards: {
    shardId: string;
    parentShardIds: string[];
    lastSequenceNumber: string | null;
    records: number;
    files: number;
    finished: boolean;
  }[];
}

const ws = () => `/api/v1/workspaces/${f.workspaceId}`;
const baseUrl = () => `http://127.0.0.1:${world!.port}`;
const sdkOptions = () => ({ url: baseUrl(), token, workspace: f.workspaceId });

/** Calls the control plane process with the token (it may be down: callers retry). */
async function api<T>(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${baseUrl()}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: res.status, body: (await res.json()) as T };
}

async function putRecords(from: number, to: number, into = put): Promise<void> {
  for (let start = from; start < to; start += 500) {
    const entries = [];
    for (let n = start; n < Math.min(to, start + 500); n += 1)
      entries.push({
        PartitionKey: `user-${n % 97}`,
        Data: Buffer.from(JSON.stringify({ n, user: `u${n % 97}`, amount: (n % 13) * 1.5 })),
      });
    const out = await kinesis.send(new PutRecordsCommand({ StreamName: STREAM, Records: entries }));
    expect(out.FailedRecordCount ?? 0).toBe(0);
    out.Records!.forEach((r, i) => {
      put.set(r.SequenceNumber!, start + i);
      into.set(r.SequenceNumber!, start + i);
    });
  }
}

async function streamActive(fx: ConnectedWorkspace): Promise<void> {
  await fx.until('stream active', async () => {
    const d = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: STREAM }));
    return d.StreamDescriptionSummary?.StreamStatus === 'ACTIVE' ? true : undefined;
  });
}

/** A Kinesis connection to the owner's stream: prepare, the owner's role, create. */
async function createConnection(fx: ConnectedWorkspace): Promise<void> {
  const target = { type: 'kinesis', stream: STREAM, region: REGION };
  const path = `/api/v1/workspaces/${fx.workspaceId}`;
  const prepared = await fx.api<{
    policies: {
      roleName: string;
      externalId: string;
      trustPolicy: unknown;
      permissionsPolicy: unknown;
    };
  }>('POST', `${path}/connections/prepare`, {
    target,
    name: 'clicks',
    accountId: owner.accountId,
  });
  expect(prepared.status, JSON.stringify(prepared.body)).toBe(201);
  const { policies } = prepared.body;
  const iam = new IAMClient(fx.configFor(owner));
  let roleArn: string;
  try {
    const role = await iam.send(
      new CreateRoleCommand({
        RoleName: policies.roleName,
        AssumeRolePolicyDocument: JSON.stringify(policies.trustPolicy),
      }),
    );
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: policies.roleName,
        PolicyName: 'ferry-connection',
        PolicyDocument: JSON.stringify(policies.permissionsPolicy),
      }),
    );
    roleArn = role.Role!.Arn!;
  } finally {
    iam.destroy();
  }
  const created = await fx.api('POST', `${path}/connections`, {
    name: 'clicks',
    target,
    auth: { kind: 'role', roleArn, externalId: policies.externalId },
    skipTest: true,
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
}

/**
 * An S3 connection with a write prefix to the owner's bucket. The owner's role grants far
 * more than the connection needs (all of S3 on the bucket): the session ferry hands the
 * worker must still write only under the ingestion's folder.
 */
async function createLakeConnection(fx: ConnectedWorkspace): Promise<void> {
  ownerS3 = new S3Client({ ...fx.configFor(owner), forcePathStyle: true });
  await ownerS3.send(new CreateBucketCommand({ Bucket: LAKE_BUCKET }));
  const target = { type: 's3', bucket: LAKE_BUCKET, writePrefix: 'landed/', region: REGION };
  const path = `/api/v1/workspaces/${fx.workspaceId}`;
  const prepared = await fx.api<{
    policies: { roleName: string; externalId: string; trustPolicy: unknown };
  }>('POST', `${path}/connections/prepare`, { target, name: 'lake' });
  expect(prepared.status, JSON.stringify(prepared.body)).toBe(201);
  const { policies } = prepared.body;
  const iam = new IAMClient(fx.configFor(owner));
  let roleArn: string;
  try {
    const role = await iam.send(
      new CreateRoleCommand({
        RoleName: policies.roleName,
        AssumeRolePolicyDocument: JSON.stringify(policies.trustPolicy),
      }),
    );
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
              Resource: [`arn:aws:s3:::${LAKE_BUCKET}`, `arn:aws:s3:::${LAKE_BUCKET}/*`],
            },
          ],
        }),
      }),
    );
    roleArn = role.Role!.Arn!;
  } finally {
    iam.destroy();
  }
  const created = await fx.api('POST', `${path}/connections`, {
    name: 'lake',
    target,
    auth: { kind: 'role', roleArn, externalId: policies.externalId },
    skipTest: true,
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
}

beforeAll(async () => {
  // The control plane runs as its own process (`ferry server` on PostgreSQL), so that a test
  // can SIGKILL it for real; the stream, its connection and a token are made before.
  world = await handOverToServer({
    before: async (fx) => {
      owner = await fx.dataOwnerAccount('stream-owner');
      // HTTP/1.1, as ferry's own Kinesis clients.
      kinesis = new KinesisClient({
        ...fx.configFor(owner),
        requestHandler: new NodeHttpHandler(),
      });
      s3 = new S3Client({ ...fx.customerConfig(), forcePathStyle: true });
      await kinesis.send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: 2 }));
      await streamActive(fx);
      await putRecords(0, BEFORE_SPLIT);
      // Reshard: split the first shard at the middle of its hash key range.
      const shards = await kinesis.send(new ListShardsCommand({ StreamName: STREAM }));
      const first = shards.Shards![0]!;
      const lo = BigInt(first.HashKeyRange!.StartingHashKey!);
      const hi = BigInt(first.HashKeyRange!.EndingHashKey!);
      await kinesis.send(
        new SplitShardCommand({
          StreamName: STREAM,
          ShardToSplit: first.ShardId!,
          NewStartingHashKey: ((lo + hi) / 2n).toString(),
        }),
      );
      await streamActive(fx);
      await putRecords(BEFORE_SPLIT, BEFORE_SPLIT + AFTER_SPLIT);
      progress(`stream of ${put.size} records, resharded`);
      await createConnection(fx);
      await createLakeConnection(fx);
      const created = await fx.api<{ secret: string }>('POST', '/api/v1/auth/tokens', {
        name: 'landing',
        scopes: [
          'workspace:read',
          'compute:read',
          'compute:start',
          'queries:run',
          'connections:read',
          'connections:use',
          'audit:read',
        ],
        expiresInDays: 1,
      });
      expect(created.status).toBe(201);
      token = created.body.secret;
    },
    env: {
      FERRY_COMPUTE_WORKER_COMMAND: workerCommand(),
      FERRY_JOBS_RECONCILE_EVERY_MS: '2000',
      FERRY_COMPUTE_LAUNCH_GRACE_MS: '30000',
    },
  });
  f = world.fx;
  resources = await createResources({ ...f.config, jobs: { ...f.config.jobs, enabled: false } });
  await world.start();
  progress('ferry server started');
  // Two nodes: when one is killed, the other takes its ingestions over.
  ctx = await new ComputeContext({
    ...sdkOptions(),
    cpus: 1,
    memory: 1,
    clusterSize: 2,
    connectionMode: 'proxy',
    startTimeoutSeconds: 300,
  }).start();
  progress('cluster Idle');
});

afterAll(async () => {
  await ctx?.stop().catch(() => undefined);
  if (ctx !== undefined)
    await until(
      'cluster to stop',
      async () => ((await ctx!.status()).state === 'Stopped' ? true : undefined),
      90_000,
    ).catch(() => undefined);
  kinesis?.destroy();
  s3?.destroy();
  ownerS3?.destroy();
  await resources?.close();
  await world?.close();
});

async function waitFinished(id: string, timeoutMs: number): Promise<IngestionView> {
  return until(
    `ingestion ${id} to finish`,
    async () => {
      const res = await api<IngestionView>('GET', `${ws()}/ingestions/${id}?waitSeconds=10`);
      return ['Completed', 'Failed', 'Stopped'].includes(res.body.state) ? res.body : undefined;
    },
    timeoutMs,
  );
}

/** Every landed file under a location, read back as the customer. */
async function landed(
  location: string,
  client: S3Client = s3,
): Promise<{ key: string; df: pl.DataFrame }[]> {
  const m = /^s3:\/\/([^/]+)\/(.*)$/.exec(location)!;
  const [bucket, prefix] = [m[1]!, m[2]!];
  const out: { key: string; df: pl.DataFrame }[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) {
      const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key! }));
      out.push({
        key: o.Key!,
        df: pl.readParquet(Buffer.from(await got.Body!.transformToByteArray())),
      });
    }
    token = page.NextContinuationToken;
  } while (token !== undefined);
  return out;
}

/** Every record expected is in the landed files exactly once, each shard in sequence order. */
function expectExactlyOnce(
  files: { key: string; df: pl.DataFrame }[],
  expected: ReadonlyMap<string, number> = put,
): void {
  const all = pl.concat(files.map((f) => f.df));
  const seqs = all.getColumn('_sequence_number').toArray() as string[];
  const ns = all.getColumn('n').toArray() as number[];
  expect(all.height).toBe(expected.size);
  expect(new Set(seqs).size).toBe(expected.size);
  for (let i = 0; i < seqs.length; i += 1) expect(expected.get(seqs[i]!), seqs[i]).toBe(ns[i]);
  for (const { key, df } of files) {
    const s = df.getColumn('_sequence_number').toArray() as string[];
    for (let i = 1; i < s.length; i += 1) expect(BigInt(s[i - 1]!) < BigInt(s[i]!), key).toBe(true);
    expect(key.endsWith(`/${s[0]}.parquet`), key).toBe(true);
  }
}

describe('landing a resharded stream, one-shot', () => {
  it('lands every record exactly once, parents before children, and the table is queryable', async () => {
    const start = await api<IngestionView & { error?: unknown }>('POST', `${ws()}/ingestions`, {
      clusterId: ctx!.clusterId,
      connection: 'clicks',
      startingPosition: { type: 'TRIM_HORIZON' },
      format: { type: 'json' },
      flushRecords: 400,
      flushSeconds: 30,
      mode: 'one-shot',
    });
    expect(start.status, JSON.stringify(start.body)).toBe(201);
    expect(start.body.state).toBe('Pending');
    const done = await waitFinished(start.body.id, 300_000);
    progress(`ingestion ${done.state}: ${done.records} records in ${done.files} files`);
    expect(done.state, done.stateReason ?? '').toBe('Completed');
    expect(done.records).toBe(put.size);
    // The split parent (closed, read to its end), its two children and the other shard.
    expect(done.shards).toHaveLength(4);
    const parent = done.shards.find((s) => s.parentShardIds.length === 0 && s.finished);
    expect(parent).toBeDefined();
    const children = done.shards.filter((s) => s.parentShardIds.includes(parent!.shardId));
    expect(children).toHaveLength(2);

    const files = await landed(done.location);
    expect(files).toHaveLength(done.files);
    expectExactlyOnce(files);
    // Each child's first record came after its parent's last: parents first.
    const arrival = (shardId: string, pick: 'min' | 'max') => {
      const df = pl.concat(files.map((x) => x.df)).filter(pl.col('_shard_id').eq(pl.lit(shardId)));
      const t = df.getColumn('_arrival_time')[pick]() as unknown as Date | number;
      return new Date(t).getTime();
    };
    for (const child of children)
      expect(arrival(child.shardId, 'min')).toBeGreaterThanOrEqual(arrival(parent!.shardId, 'max'));

    // Queried on the cluster: the landed table as it is, with the Worker role.
    const table = pl.scanParquet(`${done.location}*/*.parquet`);
    const result = await remote(
      table.select(
        pl.len().alias('rows'),
        pl.col('_sequence_number').nUnique().alias('sequences'),
        pl.col('n').nUnique().alias('ns'),
      ),
      ctx!,
    ).execute();
    const [row] = result.head.toRecords() as Record<string, unknown>[];
    expect(Object.fromEntries(Object.entries(row!).map(([k, v]) => [k, Number(v)]))).toEqual({
      rows: put.size,
      sequences: put.size,
      ns: put.size,
    });

    const audit = await api<{ items: { action: string; targetId: string }[] }>(
      'GET',
      `/api/v1/orgs/${f.orgId}/audit?action=ingestions.start`,
    );
    expect(audit.body.items.map((e) => e.targetId)).toContain(start.body.id);
  });
});

describe('landing into an S3 connection’s write prefix', () => {
  it('lands under the prefix with the connection’s session, which writes nowhere else', async () => {
    const start = await api<IngestionView & { destination: string | null }>(
      'POST',
      `${ws()}/ingestions`,
      {
        clusterId: ctx!.clusterId,
        connection: 'clicks',
        destination: 'lake',
        flushRecords: 1000,
        mode: 'one-shot',
      },
    );
    expect(start.status, JSON.stringify(start.body)).toBe(201);
    expect(start.body.destination).toBe('lake');
    const folder = `landed/${start.body.id}/`;
    expect(start.body.location).toBe(`s3://${LAKE_BUCKET}/${folder}`);
    const done = await waitFinished(start.body.id, 300_000);
    expect(done.state, done.stateReason ?? '').toBe('Completed');
    expect(done.records).toBe(put.size);
    // Read back as the owner: every record exactly once, nothing outside the folder.
    const files = await landed(done.location, ownerS3);
    expect(files).toHaveLength(done.files);
    expectExactlyOnce(files);
    const all = await ownerS3.send(new ListObjectsV2Command({ Bucket: LAKE_BUCKET }));
    expect((all.Contents ?? []).every((o) => o.Key!.startsWith(folder))).toBe(true);
    progress(`landed ${done.records} records into s3://${LAKE_BUCKET}/${folder}`);

    // The session the worker gets with each claim: uploads under the folder only, although
    // the owner's role allows all of S3 on the bucket.
    const lake = await api<{ id: string }>('GET', `${ws()}/connections/lake`);
    expect(lake.status).toBe(200);
    const creds = await ingestionDestinationCredentials(
      resources!.resources,
      {
        id: start.body.id,
        org_id: f.orgId,
        workspace_id: f.workspaceId,
        bucket: LAKE_BUCKET,
        prefix: folder,
        destination_connection_id: lake.body.id,
      },
      { kind: 'system', name: 'landing-test' },
    );
    const session = new S3Client({
      ...f.customerConfig(),
      credentials: creds,
      forcePathStyle: true,
    });
    const outcome = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: { name?: string }) => e.name ?? 'error',
      );
    const putAt = (key: string) =>
      outcome(session.send(new PutObjectCommand({ Bucket: LAKE_BUCKET, Key: key, Body: 'x' })));
    try {
      expect(await putAt(`${folder}probe.txt`)).toBe('ok');
      expect(await putAt('landed/elsewhere.txt')).toBe('AccessDenied');
      expect(await putAt('landed/ing_other/x.parquet')).toBe('AccessDenied');
      expect(await putAt('outside/x.parquet')).toBe('AccessDenied');
      expect(
        await outcome(
          session.send(new GetObjectCommand({ Bucket: LAKE_BUCKET, Key: files[0]!.key })),
        ),
      ).toBe('AccessDenied');
      expect(
        await outcome(
          session.send(new DeleteObjectCommand({ Bucket: LAKE_BUCKET, Key: files[0]!.key })),
        ),
      ).toBe('AccessDenied');
    } finally {
      session.destroy();
    }
    await ownerS3.send(new DeleteObjectCommand({ Bucket: LAKE_BUCKET, Key: `${folder}probe.txt` }));
  });
});

/** The `n` of the next record put. */
let nextN = BEFORE_SPLIT + AFTER_SPLIT;

/** Puts 50 records every 250 ms until the returned function is called (which waits). */
function keepPutting(into: Map<string, number>): () => Promise<void> {
  let stopping = false;
  const done = (async () => {
    while (!stopping) {
      const from = nextN;
      nextN += 50;
      await putRecords(from, from + 50, into);
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  return async () => {
    stopping = true;
    await done;
  };
}

/** A continuous ingestion from LATEST: what arrives from its start on. */
async function startContinuous(): Promise<IngestionView> {
  const start = await api<IngestionView>('POST', `${ws()}/ingestions`, {
    clusterId: ctx!.clusterId,
    connection: 'clicks',
    startingPosition: { type: 'LATEST' },
    format: { type: 'json' },
    flushRecords: 100,
    flushSeconds: 2,
    mode: 'continuous',
  });
  expect(start.status, JSON.stringify(start.body)).toBe(201);
  return start.body;
}

/** Waits until the ingestion has landed at least `records` (the control plane may be down). */
async function landedAtLeast(
  id: string,
  records: number,
  timeoutMs: number,
): Promise<IngestionView> {
  return until(
    `ingestion ${id} to land ${records} records`,
    async () => {
      const res = await api<IngestionView>('GET', `${ws()}/ingestions/${id}`).catch(
        () => undefined,
      );
      if (res?.status !== 200) return undefined;
      expect(['Pending', 'Running'], res.body.stateReason ?? '').toContain(res.body.state);
      return res.body.records >= records ? res.body : undefined;
    },
    timeoutMs,
    500,
  );
}

/** Stops the ingestion and checks its files against exactly what was put meanwhile. */
async function stopAndCheck(id: string, expected: ReadonlyMap<string, number>): Promise<void> {
  const landedAll = await landedAtLeast(id, expected.size, 240_000);
  expect(landedAll.records).toBe(expected.size);
  const stopped = await api<IngestionView>('POST', `${ws()}/ingestions/${id}/stop`);
  expect(stopped.status).toBe(200);
  expect(stopped.body.state).toBe('Stopped');
  const files = await landed(stopped.body.location);
  expect(files).toHaveLength(stopped.body.files);
  expectExactlyOnce(files, expected);
  progress(`ingestion ${id}: ${expected.size} records in ${files.length} files, exactly once`);
}

describe('landing continuously from LATEST', () => {
  it('lands what arrives after the start, exactly once, until stopped', async () => {
    const ingestion = await startContinuous();
    const fresh = new Map<string, number>();
    const from = nextN;
    nextN += 1200;
    await putRecords(from, from + 1200, fresh);
    await stopAndCheck(ingestion.id, fresh);
  });

  it('loses and duplicates nothing when the control plane is SIGKILLed while landing', async () => {
    const ingestion = await startContinuous();
    const fresh = new Map<string, number>();
    const stopPutting = keepPutting(fresh);
    try {
      await landedAtLeast(ingestion.id, 300, 120_000);
      await world!.server!.kill();
      progress(`control plane killed with ${fresh.size} records put`);
      await new Promise((r) => setTimeout(r, 5000));
      await world!.start();
      progress('control plane started again');
      await landedAtLeast(ingestion.id, fresh.size, 240_000);
    } finally {
      await stopPutting();
    }
    await stopAndCheck(ingestion.id, fresh);
  });

  it('loses and duplicates nothing when the worker landing it is SIGKILLed', async () => {
    const ingestion = await startContinuous();
    const fresh = new Map<string, number>();
    const stopPutting = keepPutting(fresh);
    let killed = '';
    try {
      const running = await landedAtLeast(ingestion.id, 300, 120_000);
      killed = running.nodeId ?? '';
      const inst = (await f.instances()).find((i) => i.instanceId === killed);
      // The instance's process is the worker (its user-data runs it in place).
      const pid = inst?.pid ?? -1;
      expect(commandLine(pid)).toContain('app/main.js');
      process.kill(pid, 'SIGKILL');
      progress(`worker on ${killed} killed with ${fresh.size} records put`);
      await new Promise((r) => setTimeout(r, 5000));
    } finally {
      await stopPutting();
    }
    // The cluster's other node takes the ingestion over once the dead node's claim lapses.
    const after = await landedAtLeast(ingestion.id, fresh.size, 240_000);
    expect(after.nodeId).not.toBe(killed);
    await stopAndCheck(ingestion.id, fresh);
  });
});
