/**
 * Ingestions as users see them: start (a Kinesis connection of the workspace, a cluster of
 * the workspace, the workspace's results bucket or an S3 connection's write prefix as the
 * destination), list, show (with a wait until it finishes) and stop. The node side is in
 * `node-ingestions.ts`.
 */
import { resultsBucketName } from '@ferry/aws-template';
import type { Ingestion } from '@ferry/api';
import { INGESTION_RESULTS_PREFIX } from '@ferry/api';
import {
  ConflictError,
  NotFoundError,
  ValidationError,
  newId,
  type ClusterState,
} from '@ferry/core';
import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../db/database.ts';
import type { ConnectionTables } from '../db/tables/connection-tables.ts';
import type {
  IngestionShardsTable,
  IngestionTables,
  IngestionsTable,
  StoredIngestionFormat,
  StoredStartingPosition,
} from '../db/tables/ingestion-tables.ts';
import type { ComputeTables } from '../db/tables/compute-tables.ts';
import type { AwsSetupTables } from '../db/tables/aws-setup-tables.ts';
import { DEFAULT_PAGE_SIZE, decodeCursor, encodeCursor } from '../http/cursor.ts';
import type { RunInTransaction } from '../http/request-transaction.ts';
import type { Resources } from '../resources.ts';

export type IngestionRow = Selectable<IngestionsTable>;
export type IngestionShardRow = Selectable<IngestionShardsTable>;

type IngestDatabase = Database &
  IngestionTables &
  ConnectionTables &
  ComputeTables &
  AwsSetupTables;

/** The database with the ingestion tables in view. */
export function ingestDb(db: Kysely<Database>): Kysely<IngestDatabase> {
  // Kysely's table map is a type parameter only: the same connection serves every view.
  return db;
}

/** Clusters an ingestion may start on. */
const LIVE_CLUSTER_STATES: readonly ClusterState[] = ['Starting', 'Idle', 'Busy'];
/** How often a waiting request looks at the database again. */
const WAIT_POLL_MS = 250;

export interface StartIngestionInput {
  orgId: string;
  workspaceId: string;
  createdBy: string;
  body: {
    clusterId: string;
    connection: string;
    startingPosition: StoredStartingPosition;
    format: StoredIngestionFormat;
    flushRecords: number;
    flushSeconds: number;
    mode: 'one-shot' | 'continuous';
    destination?: string | undefined;
  };
  now: Date;
  transaction: RunInTransaction;
}

const iso = (d: Date | string): string => new Date(d).toISOString();

/** A row and its shards as the API shows them. */
export function ingestionView(row: IngestionRow, shards: readonly IngestionShardRow[]): Ingestion {
  const sorted = [...shards].sort((a, b) => a.shard_id.localeCompare(b.shard_id));
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    clusterId: row.cluster_id,
    connection: row.connection_name,
    stream: row.stream_arn,
    startingPosition: row.starting_position,
    format: row.format,
    flushRecords: row.flush_records,
    flushSeconds: row.flush_seconds,
    mode: row.mode,
    location: `s3://${row.bucket}/${row.prefix}`,
    destination: row.destination_connection_name,
    state: row.state,
    stateReason: row.state_reason,
    records: sorted.reduce((n, s) => n + Number(s.records), 0),
    files: sorted.reduce((n, s) => n + s.files, 0),
    shards: sorted.map((s) => ({
      shardId: s.shard_id,
      parentShardIds: s.parent_shard_ids,
      lastSequenceNumber: s.last_sequence_number,
      records: Number(s.records),
      files: s.files,
      finished: s.finished,
    })),
    nodeId: row.state === 'Running' ? row.node_id : null,
    createdBy: row.created_by,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    finishedAt: row.finished_at === null ? null : iso(row.finished_at),
  };
}

/** Starts an ingestion (state Pending until a node of the cluster claims it). */
export async function startIngestion(
  resources: Pick<Resources, 'db'>,
  input: StartIngestionInput,
): Promise<Ingestion> {
  const { body, workspaceId, now } = input;
  return input.transaction(async (trx) => {
    const db = ingestDb(trx);
    const cluster = await db
      .selectFrom('clusters')
      .select(['id', 'state'])
      .where('id', '=', body.clusterId)
      .where('workspace_id', '=', workspaceId)
      .executeTakeFirst();
    if (cluster === undefined) {
      throw new ValidationError('Unknown cluster.', {
        details: [{ path: 'body.clusterId', message: 'is not a cluster of this workspace' }],
      });
    }
    if (!LIVE_CLUSTER_STATES.includes(cluster.state as ClusterState)) {
      throw new ConflictError(
        'cluster_not_running',
        `Cluster ${cluster.id} is ${cluster.state}: start an ingestion on a running cluster.`,
      );
    }
    const connection = await db
      .selectFrom('connections')
      .select(['id', 'type', 'target', 'auth_kind', 'role_arn'])
      .where('workspace_id', '=', workspaceId)
      .where('name', '=', body.connection)
      .executeTakeFirst();
    if (connection === undefined) {
      throw new ValidationError('Unknown connection.', {
        details: [{ path: 'body.connection', message: 'is not a connection of this workspace' }],
      });
    }
    const target = connection.target;
    if (target.type !== 'kinesis' || connection.auth_kind !== 'role') {
      throw new ValidationError('Not a Kinesis connection.', {
        details: [{ path: 'body.connection', message: 'must be a Kinesis connection' }],
      });
    }
    if (target.streamArn === null) {
      throw new ValidationError('The connection does not name its stream’s account.', {
        details: [
          {
            path: 'body.connection',
            message: 'the connection has no stream ARN: recreate it with the stream’s ARN',
          },
        ],
      });
    }
    const setup = await db
      .selectFrom('aws_setups')
      .select('account_id')
      .where('workspace_id', '=', workspaceId)
      .executeTakeFirst();
    if (setup?.account_id == null) {
      throw new ConflictError(
        'workspace_not_connected',
        'The workspace has no AWS account connected: its results bucket is unknown.',
      );
    }
    if (
      body.format.type === 'csv' &&
      new Set(body.format.columns).size !== body.format.columns.length
    ) {
      throw new ValidationError('Duplicate CSV column.', {
        details: [{ path: 'body.format.columns', message: 'names must be unique' }],
      });
    }
    const id = newId('ingestion', now.getTime());
    const destination =
      body.destination === undefined
        ? undefined
        : await destinationOf(trx, workspaceId, body.destination);
    const row = await db
      .insertInto('ingestions')
      .values({
        id,
        workspace_id: workspaceId,
        org_id: input.orgId,
        cluster_id: cluster.id,
        connection_id: connection.id,
        connection_name: body.connection,
        stream_arn: target.streamArn,
        region: target.region,
        starting_position: JSON.stringify(body.startingPosition),
        format: JSON.stringify(body.format),
        flush_records: body.flushRecords,
        flush_seconds: body.flushSeconds,
        mode: body.mode,
        bucket: destination?.bucket ?? resultsBucketName(setup.account_id, workspaceId),
        prefix: `${destination?.writePrefix ?? INGESTION_RESULTS_PREFIX}${id}/`,
        destination_connection_id: destination?.id ?? null,
        destination_connection_name: destination === undefined ? null : body.destination!,
        destination_region: destination?.region ?? null,
        state: 'Pending',
        state_reason: null,
        node_id: null,
        lease_until: null,
        stop_requested: false,
        created_by: input.createdBy,
        created_at: now,
        updated_at: now,
        finished_at: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return ingestionView(row, []);
  });
}

/** The S3 connection an ingestion lands into: it must have a write prefix and a role. */
async function destinationOf(
  trx: Kysely<Database>,
  workspaceId: string,
  name: string,
): Promise<{ id: string; bucket: string; writePrefix: string; region: string }> {
  const connection = await ingestDb(trx)
    .selectFrom('connections')
    .select(['id', 'target', 'auth_kind'])
    .where('workspace_id', '=', workspaceId)
    .where('name', '=', name)
    .executeTakeFirst();
  const refuse = (message: string) =>
    new ValidationError('Not a destination for landed files.', {
      details: [{ path: 'body.destination', message }],
    });
  if (connection === undefined) throw refuse('is not a connection of this workspace');
  const target = connection.target;
  if (target.type !== 's3') throw refuse('must be an S3 connection');
  if (target.writePrefix === null)
    throw refuse('the connection has no write prefix: recreate it with one');
  // Access keys cannot be narrowed to the ingestion's folder by a session policy.
  if (connection.auth_kind !== 'role') throw refuse('must use a role, not access keys');
  return {
    id: connection.id,
    bucket: target.bucket,
    writePrefix: target.writePrefix,
    region: target.region,
  };
}

async function rowOf(
  db: Kysely<Database>,
  workspaceId: string,
  ingestionId: string,
): Promise<{ row: IngestionRow; shards: IngestionShardRow[] }> {
  const row = await ingestDb(db)
    .selectFrom('ingestions')
    .selectAll()
    .where('id', '=', ingestionId)
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst();
  if (row === undefined) throw new NotFoundError(`Ingestion ${ingestionId} was not found.`);
  const shards = await ingestDb(db)
    .selectFrom('ingestion_shards')
    .selectAll()
    .where('ingestion_id', '=', ingestionId)
    .execute();
  return { row, shards };
}

const isFinished = (state: IngestionRow['state']) =>
  state === 'Completed' || state === 'Stopped' || state === 'Failed';

/** An ingestion of the workspace (404 for another workspace's), optionally once finished. */
export async function getIngestion(
  resources: Pick<Resources, 'db'>,
  workspaceId: string,
  ingestionId: string,
  waitSeconds = 0,
): Promise<Ingestion> {
  const until = Date.now() + waitSeconds * 1000;
  for (;;) {
    const { row, shards } = await rowOf(resources.db, workspaceId, ingestionId);
    if (isFinished(row.state) || Date.now() >= until) return ingestionView(row, shards);
    await new Promise((r) => setTimeout(r, WAIT_POLL_MS));
  }
}

/** A workspace's ingestions, newest first. */
export async function listIngestions(
  resources: Pick<Resources, 'db'>,
  workspaceId: string,
  page: { cursor?: string | undefined; limit?: number | undefined },
): Promise<{ items: Ingestion[]; nextCursor: string | null }> {
  const limit = page.limit ?? DEFAULT_PAGE_SIZE;
  let q = ingestDb(resources.db)
    .selectFrom('ingestions')
    .selectAll()
    .where('workspace_id', '=', workspaceId);
  if (page.cursor !== undefined) q = q.where('id', '<', decodeCursor(page.cursor));
  const rows = await q
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute();
  const kept = rows.slice(0, limit);
  const shards =
    kept.length === 0
      ? []
      : await ingestDb(resources.db)
          .selectFrom('ingestion_shards')
          .selectAll()
          .where(
            'ingestion_id',
            'in',
            kept.map((r) => r.id),
          )
          .execute();
  const last = kept[kept.length - 1];
  return {
    items: kept.map((r) =>
      ingestionView(
        r,
        shards.filter((s) => s.ingestion_id === r.id),
      ),
    ),
    nextCursor: rows.length > limit && last !== undefined ? encodeCursor(last.id) : null,
  };
}

/**
 * Stops an ingestion: it is Stopped at once (its node stops at its next claim); a file its
 * node announced may still be committed, so nothing written is left out of the checkpoints.
 */
export async function stopIngestion(
  resources: Pick<Resources, 'db'>,
  input: { workspaceId: string; ingestionId: string; now: Date; transaction: RunInTransaction },
): Promise<Ingestion> {
  return input.transaction(async (trx) => {
    const { row } = await rowOf(trx, input.workspaceId, input.ingestionId);
    if (!isFinished(row.state)) {
      await ingestDb(trx)
        .updateTable('ingestions')
        .set({
          state: 'Stopped',
          state_reason: 'stopped by a user',
          stop_requested: true,
          finished_at: input.now,
          updated_at: input.now,
        })
        .where('id', '=', row.id)
        .execute();
    }
    const after = await rowOf(trx, input.workspaceId, input.ingestionId);
    return ingestionView(after.row, after.shards);
  });
}
