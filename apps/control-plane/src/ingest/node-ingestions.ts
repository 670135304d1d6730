/**
 * The node side of Kinesis landing, authenticated with the node token like heartbeats.
 * A node claims its cluster's ingestions with a lease it renews on each call (a dead node's
 * ingestions go to another node, or to the restarted one, once the lease runs out) and gets
 * the Kinesis connection's role session from the credential broker with the checkpoints
 * (and, landing into an S3 connection, that connection's session narrowed to the folder).
 * Each file is announced (intent) before it is written and committed after: the checkpoint
 * moves only on a commit, and a resumed run rewrites an announced file with exactly the
 * announced records, under the same key — so a crash neither loses nor duplicates a record.
 * Every step is fenced: only the node that holds the lease may take it.
 */
import type { IngestionIntent, IngestionShardStep, NodeIngestionsAnswer } from '@ferry/api';
import { ConflictError, NotFoundError } from '@ferry/core';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import type { StoredIngestionIntent } from '../db/tables/ingestion-tables.ts';
import type { AwsCredentials } from '../aws/aws-clients.ts';
import type { BrokerActor } from '../aws/credential-broker.ts';
import { nodeOfToken } from '../queries/node-queries.ts';
import type { Resources } from '../resources.ts';
import { DestinationGoneError, ingestionDestinationCredentials } from './ingestion-destination.ts';
import { ingestDb, type IngestionRow } from './ingestions.ts';

/** How long a claim lasts without a renewal (the worker renews every few seconds). */
export const INGESTION_LEASE_SECONDS = 20;

const actorOf = (createdBy: string): BrokerActor =>
  createdBy.startsWith('sa_')
    ? { kind: 'service-account', id: createdBy }
    : { kind: 'user', id: createdBy };

/** Sequence numbers are decimal strings of up to 128 bits. */
export const seqLess = (a: string, b: string): boolean => BigInt(a) < BigInt(b);

const sameIntent = (a: StoredIngestionIntent | null, b: IngestionIntent): boolean =>
  a !== null &&
  a.firstSequenceNumber === b.firstSequenceNumber &&
  a.lastSequenceNumber === b.lastSequenceNumber &&
  a.records === b.records &&
  a.key === b.key;

/** Claims (or keeps) the node's ingestions and answers them with credentials and checkpoints. */
export async function claimIngestions(
  resources: Resources,
  token: string | undefined,
): Promise<NodeIngestionsAnswer> {
  const node = await nodeOfToken(resources, token);
  const now = resources.clock.now();
  const leaseUntil = new Date(now.getTime() + INGESTION_LEASE_SECONDS * 1000);
  const claimed = await resources.db.transaction().execute(async (trx) => {
    const db = ingestDb(trx);
    const rows = await db
      .selectFrom('ingestions')
      .selectAll()
      .where('cluster_id', '=', node.clusterId)
      .where('state', 'in', ['Pending', 'Running'])
      .where((eb) =>
        eb.or([
          eb('node_id', 'is', null),
          eb('node_id', '=', node.instanceId),
          eb('lease_until', '<', now),
        ]),
      )
      .orderBy('id')
      .forUpdate()
      .skipLocked()
      .execute();
    for (const row of rows) {
      await db
        .updateTable('ingestions')
        .set({
          node_id: node.instanceId,
          lease_until: leaseUntil,
          state: 'Running',
          updated_at: now,
        })
        .where('id', '=', row.id)
        .execute();
    }
    return rows;
  });
  const ingestions = [];
  for (const row of claimed) {
    const connection = await ingestDb(resources.db)
      .selectFrom('connections')
      .select(['role_arn', 'external_id'])
      .where('id', '=', row.connection_id)
      .executeTakeFirst();
    if (connection?.role_arn == null || connection.external_id === null) {
      await finish(resources.db, row.id, 'Failed', 'its connection was deleted', now);
      continue;
    }
    let creds;
    try {
      creds = await resources.aws.broker.assume({
        orgId: row.org_id,
        workspaceId: row.workspace_id,
        roleArn: connection.role_arn,
        externalId: connection.external_id,
        actor: actorOf(row.created_by),
        purpose: 'ingestion',
      });
    } catch (err) {
      resources.log.warn(
        { ingestionId: row.id, err: err instanceof Error ? err.message : String(err) },
        'ingestion: cannot assume the connection role',
      );
      continue;
    }
    let destination;
    if (row.destination_connection_id !== null) {
      try {
        const d = await ingestionDestinationCredentials(resources, row, actorOf(row.created_by));
        destination = { region: row.destination_region ?? row.region, credentials: wire(d) };
      } catch (err) {
        if (err instanceof DestinationGoneError) {
          await finish(resources.db, row.id, 'Failed', err.message, now);
          continue;
        }
        resources.log.warn(
          { ingestionId: row.id, err: err instanceof Error ? err.message : String(err) },
          'ingestion: cannot assume the destination connection role',
        );
        continue;
      }
    }
    const shards = await ingestDb(resources.db)
      .selectFrom('ingestion_shards')
      .selectAll()
      .where('ingestion_id', '=', row.id)
      .execute();
    ingestions.push({
      id: row.id,
      streamArn: row.stream_arn,
      region: row.region,
      kinesisCredentials: wire(creds),
      bucket: row.bucket,
      prefix: row.prefix,
      ...(destination === undefined ? {} : { destination }),
      startingPosition: startingPositionOf(row),
      format: row.format,
      flushRecords: row.flush_records,
      flushSeconds: row.flush_seconds,
      mode: row.mode,
      shards: shards.map((s) => ({
        shardId: s.shard_id,
        lastSequenceNumber: s.last_sequence_number,
        pending: s.pending,
        finished: s.finished,
      })),
    });
  }
  return { ingestions, leaseSeconds: INGESTION_LEASE_SECONDS };
}

/** Temporary credentials as the node's answer carries them. */
const wire = (c: AwsCredentials) => ({
  accessKeyId: c.accessKeyId,
  secretAccessKey: c.secretAccessKey,
  ...(c.sessionToken === undefined ? {} : { sessionToken: c.sessionToken }),
  ...(c.expiration === undefined ? {} : { expiration: c.expiration.toISOString() }),
});

/** LATEST means "from the start of the ingestion on": stable across restarts. */
function startingPositionOf(
  row: IngestionRow,
): NodeIngestionsAnswer['ingestions'][number]['startingPosition'] {
  const p = row.starting_position;
  if (p.type === 'TRIM_HORIZON') return { type: 'TRIM_HORIZON' };
  if (p.type === 'LATEST')
    return { type: 'AT_TIMESTAMP', timestamp: new Date(row.created_at).toISOString() };
  return { type: 'AT_TIMESTAMP', timestamp: p.timestamp };
}

async function finish(
  db: Kysely<Database>,
  id: string,
  state: 'Completed' | 'Failed',
  reason: string | null,
  now: Date,
): Promise<void> {
  await ingestDb(db)
    .updateTable('ingestions')
    .set({ state, state_reason: reason, finished_at: now, updated_at: now, node_id: null })
    .where('id', '=', id)
    .where('state', 'in', ['Pending', 'Running'])
    .execute();
}

/** The ingestion a node holds (409 when another node holds it or it has ended). */
async function heldIngestion(
  db: Kysely<Database>,
  node: { instanceId: string; clusterId: string },
  ingestionId: string,
  now: Date,
  allowStopped: boolean,
): Promise<IngestionRow> {
  const row = await ingestDb(db)
    .selectFrom('ingestions')
    .selectAll()
    .where('id', '=', ingestionId)
    .where('cluster_id', '=', node.clusterId)
    .forUpdate()
    .executeTakeFirst();
  if (row === undefined) throw new NotFoundError(`Ingestion ${ingestionId} was not found.`);
  const live = row.state === 'Running' || (allowStopped && row.state === 'Stopped');
  if (!live || row.node_id !== node.instanceId) {
    throw new ConflictError(
      'ingestion_not_held',
      `Ingestion ${ingestionId} is not held by this node (it is ${row.state}).`,
    );
  }
  if (row.state === 'Running' && row.lease_until !== null && new Date(row.lease_until) < now) {
    throw new ConflictError(
      'ingestion_lease_expired',
      `This node's claim on ingestion ${ingestionId} expired: claim it again.`,
    );
  }
  return row;
}

/** Records a shard's step (the `nodes.ingestions.shard` route). */
export async function recordShardStep(
  resources: Pick<Resources, 'db' | 'clock'>,
  token: string | undefined,
  ingestionId: string,
  step: IngestionShardStep,
): Promise<void> {
  const node = await nodeOfToken(resources, token);
  const now = resources.clock.now();
  await resources.db.transaction().execute(async (trx) => {
    // A commit of an announced file is taken even after a stop: the file is written.
    await heldIngestion(trx, node, ingestionId, now, step.kind === 'commit');
    const db = ingestDb(trx);
    const shard = await db
      .selectFrom('ingestion_shards')
      .selectAll()
      .where('ingestion_id', '=', ingestionId)
      .where('shard_id', '=', step.shardId)
      .forUpdate()
      .executeTakeFirst();
    if (step.kind === 'intent') {
      const intent = step.intent;
      if (seqLess(intent.lastSequenceNumber, intent.firstSequenceNumber)) {
        throw new ConflictError('ingestion_bad_intent', 'The intent ends before it starts.');
      }
      if (shard === undefined) {
        await db
          .insertInto('ingestion_shards')
          .values({
            ingestion_id: ingestionId,
            shard_id: step.shardId,
            parent_shard_ids: JSON.stringify(step.parentShardIds),
            last_sequence_number: null,
            pending: JSON.stringify(intent),
            records: 0,
            files: 0,
            finished: false,
            updated_at: now,
          })
          .execute();
        return;
      }
      if (shard.pending !== null) {
        if (sameIntent(shard.pending, intent)) return;
        throw new ConflictError(
          'ingestion_pending_file',
          `Shard ${step.shardId} has an announced file (${shard.pending.key}) to rewrite first.`,
        );
      }
      if (
        shard.last_sequence_number !== null &&
        !seqLess(shard.last_sequence_number, intent.firstSequenceNumber)
      ) {
        throw new ConflictError(
          'ingestion_behind_checkpoint',
          `Shard ${step.shardId} is checkpointed at ${shard.last_sequence_number}: the file must start after it.`,
        );
      }
      if (shard.finished) {
        throw new ConflictError('ingestion_shard_finished', `Shard ${step.shardId} is finished.`);
      }
      await db
        .updateTable('ingestion_shards')
        .set({ pending: JSON.stringify(intent), updated_at: now })
        .where('ingestion_id', '=', ingestionId)
        .where('shard_id', '=', step.shardId)
        .execute();
      return;
    }
    if (step.kind === 'commit') {
      if (shard === undefined) {
        throw new ConflictError('ingestion_no_intent', `Shard ${step.shardId} announced no file.`);
      }
      if (shard.pending === null && shard.last_sequence_number === step.intent.lastSequenceNumber)
        return; // committed already (a retried call)
      if (!sameIntent(shard.pending, step.intent)) {
        throw new ConflictError(
          'ingestion_no_intent',
          `Shard ${step.shardId} did not announce this file.`,
        );
      }
      await db
        .updateTable('ingestion_shards')
        .set({
          pending: null,
          last_sequence_number: step.intent.lastSequenceNumber,
          records: Number(shard.records) + step.intent.records,
          files: shard.files + 1,
          updated_at: now,
        })
        .where('ingestion_id', '=', ingestionId)
        .where('shard_id', '=', step.shardId)
        .execute();
      return;
    }
    if (shard === undefined) {
      await db
        .insertInto('ingestion_shards')
        .values({
          ingestion_id: ingestionId,
          shard_id: step.shardId,
          parent_shard_ids: JSON.stringify(step.parentShardIds),
          last_sequence_number: null,
          pending: null,
          records: 0,
          files: 0,
          finished: true,
          updated_at: now,
        })
        .execute();
      return;
    }
    if (shard.pending !== null) {
      throw new ConflictError(
        'ingestion_pending_file',
        `Shard ${step.shardId} has an announced file to commit before it finishes.`,
      );
    }
    await db
      .updateTable('ingestion_shards')
      .set({ finished: true, updated_at: now })
      .where('ingestion_id', '=', ingestionId)
      .where('shard_id', '=', step.shardId)
      .execute();
  });
}

/** Records how an ingestion ended on its node (the `nodes.ingestions.outcome` route). */
export async function recordIngestionOutcome(
  resources: Pick<Resources, 'db' | 'clock'>,
  token: string | undefined,
  ingestionId: string,
  body: { state: 'Completed' | 'Failed'; reason: string | null },
): Promise<void> {
  const node = await nodeOfToken(resources, token);
  const now = resources.clock.now();
  await resources.db.transaction().execute(async (trx) => {
    const row = await heldIngestion(trx, node, ingestionId, now, true);
    if (row.state !== 'Running') return;
    if (body.state === 'Completed') {
      const pending = await ingestDb(trx)
        .selectFrom('ingestion_shards')
        .select('shard_id')
        .where('ingestion_id', '=', ingestionId)
        .where('pending', 'is not', null)
        .executeTakeFirst();
      if (pending !== undefined) {
        throw new ConflictError(
          'ingestion_pending_file',
          `Shard ${pending.shard_id} has an announced file not yet committed.`,
        );
      }
    }
    await finish(trx, ingestionId, body.state, body.reason, now);
  });
}
