/**
 * Kinesis landing end to end on localcloud: a data owner's stream (another account) with
 * thousands of records across shards, resharded halfway (a split: a closed parent and two
 * children), is read through a Kinesis connection (the owner's role, assumed with the
 * external ID) by a cluster's worker and landed as Parquet in the workspace's results
 * bucket; the landed table is read back and queried on the cluster: every record exactly
 * once (count and sequence numbers), each shard's records in sequence order, parents
 * finished before their children started.
 */
import { randomBytes } from 'node:crypto';
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
  SplitShardCommand,
} from '@aws-sdk/client-kinesis';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { ComputeContext, remote } from '@ferry/sdk';
import pl from 'nodejs-polars';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  REGION,
  startConnectedWorkspace,
  type Account,
  type ConnectedWorkspace,
} from './fixtures/connected-workspace.ts';
import { queryToken } from './fixtures/query-helpers.ts';
import { usePostgresServer } from '../../apps/control-plane/src/testing/backends.ts';
import {
  createTestDatabase,
  dropTestDatabase,
  type PostgresServerInfo,
} from '../../apps/control-plane/src/testing/postgres-server.ts';

vi.setConfig({ testTimeout: 400_000, hookTimeout: 400_000 });

const began = Date.now();
const progress = (line: string) =>
  console.log(`kinesis-landing +${((Date.now() - began) / 1000).toFixed(1)}s: ${line}`);

const STREAM = 'clickstream';
const BEFORE_SPLIT = 1500;
const AFTER_SPLIT = 1500;

let f: ConnectedWorkspace;
let pgServer: PostgresServerInfo | undefined;
let databaseUrl = '';
let owner: Account;
let kinesis: KinesisClient;
let s3: S3Client;
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

async function putRecords(from: number, to: number): Promise<void> {
  for (let start = from; start < to; start += 500) {
    const entries = [];
    for (let n = start; n < Math.min(to, start + 500); n += 1)
      entries.push({
        PartitionKey: `user-${n % 97}`,
        Data: Buffer.from(JSON.stringify({ n, user: `u${n % 97}`, amount: (n % 13) * 1.5 })),
      });
    const out = await kinesis.send(new PutRecordsCommand({ StreamName: STREAM, Records: entries }));
    expect(out.FailedRecordCount ?? 0).toBe(0);
    out.Records!.forEach((r, i) => put.set(r.SequenceNumber!, start + i));
  }
}

async function streamActive(): Promise<void> {
  await f.until('stream active', async () => {
    const d = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: STREAM }));
    return d.StreamDescriptionSummary?.StreamStatus === 'ACTIVE' ? true : undefined;
  });
}

/** A Kinesis connection to the owner's stream: prepare, the owner's role, create. */
async function createConnection(): Promise<void> {
  const target = { type: 'kinesis', stream: STREAM, region: REGION };
  const prepared = await f.api<{
    policies: {
      roleName: string;
      externalId: string;
      trustPolicy: unknown;
      permissionsPolicy: unknown;
    };
  }>('POST', `${ws()}/connections/prepare`, { target, name: 'clicks', accountId: owner.accountId });
  expect(prepared.status, JSON.stringify(prepared.body)).toBe(201);
  const { policies } = prepared.body;
  const iam = new IAMClient(f.configFor(owner));
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
  const created = await f.api('POST', `${ws()}/connections`, {
    name: 'clicks',
    target,
    auth: { kind: 'role', roleArn, externalId: policies.externalId },
    skipTest: true,
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
}

beforeAll(async () => {
  // On PostgreSQL, as a production control plane (and as the crash tests need).
  pgServer = await usePostgresServer();
  databaseUrl = await createTestDatabase(pgServer);
  f = await startConnectedWorkspace({
    configure: (config) => {
      config.database.url = databaseUrl;
      config.secretsKey = randomBytes(32).toString('base64');
    },
  });
  owner = await f.dataOwnerAccount('stream-owner');
  // HTTP/1.1, as ferry's own Kinesis clients.
  kinesis = new KinesisClient({ ...f.configFor(owner), requestHandler: new NodeHttpHandler() });
  s3 = new S3Client({ ...f.customerConfig(), forcePathStyle: true });
  await kinesis.send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: 2 }));
  await streamActive();
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
  await streamActive();
  await putRecords(BEFORE_SPLIT, BEFORE_SPLIT + AFTER_SPLIT);
  progress(`stream of ${put.size} records, resharded`);
  await createConnection();
  const token = await queryToken(f);
  ctx = await new ComputeContext({
    url: f.controlPlane.url,
    token,
    workspace: f.workspaceId,
    cpus: 1,
    memory: 1,
    connectionMode: 'proxy',
    startTimeoutSeconds: 180,
  }).start();
  progress('cluster Idle');
});

afterAll(async () => {
  await ctx?.stop().catch(() => undefined);
  if (ctx !== undefined)
    await f
      ?.until(
        'cluster to stop',
        async () => ((await ctx!.status()).state === 'Stopped' ? true : undefined),
        60_000,
      )
      .catch(() => undefined);
  kinesis?.destroy();
  s3?.destroy();
  await f?.stop();
  if (pgServer !== undefined && databaseUrl !== '')
    await dropTestDatabase(pgServer, databaseUrl).catch(() => undefined);
});

async function waitFinished(id: string, timeoutMs: number): Promise<IngestionView> {
  return f.until(
    `ingestion ${id} to finish`,
    async () => {
      const res = await f.api<IngestionView>('GET', `${ws()}/ingestions/${id}?waitSeconds=10`);
      return ['Completed', 'Failed', 'Stopped'].includes(res.body.state) ? res.body : undefined;
    },
    timeoutMs,
  );
}

/** Every landed file under a location, read back as the customer. */
async function landed(location: string): Promise<{ key: string; df: pl.DataFrame }[]> {
  const m = /^s3:\/\/([^/]+)\/(.*)$/.exec(location)!;
  const [bucket, prefix] = [m[1]!, m[2]!];
  const out: { key: string; df: pl.DataFrame }[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) {
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key! }));
      out.push({
        key: o.Key!,
        df: pl.readParquet(Buffer.from(await got.Body!.transformToByteArray())),
      });
    }
    token = page.NextContinuationToken;
  } while (token !== undefined);
  return out;
}

/** Every record put is in the landed files exactly once, each shard in sequence order. */
function expectExactlyOnce(files: { key: string; df: pl.DataFrame }[]): void {
  const all = pl.concat(files.map((f) => f.df));
  const seqs = all.getColumn('_sequence_number').toArray() as string[];
  const ns = all.getColumn('n').toArray() as number[];
  expect(all.height).toBe(put.size);
  expect(new Set(seqs).size).toBe(put.size);
  for (let i = 0; i < seqs.length; i += 1) expect(put.get(seqs[i]!), seqs[i]).toBe(ns[i]);
  for (const { key, df } of files) {
    const s = df.getColumn('_sequence_number').toArray() as string[];
    for (let i = 1; i < s.length; i += 1) expect(BigInt(s[i - 1]!) < BigInt(s[i]!), key).toBe(true);
    expect(key.endsWith(`/${s[0]}.parquet`), key).toBe(true);
  }
}

describe('landing a resharded stream, one-shot', () => {
  it('lands every record exactly once, parents before children, and the table is queryable', async () => {
    const start = await f.api<IngestionView & { error?: unknown }>('POST', `${ws()}/ingestions`, {
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

    const audit = await f.api<{ items: { action: string; targetId: string }[] }>(
      'GET',
      `/api/v1/orgs/${f.orgId}/audit?action=ingestions.start`,
    );
    expect(audit.body.items.map((e) => e.targetId)).toContain(start.body.id);
  });
});
