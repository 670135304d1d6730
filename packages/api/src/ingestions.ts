/**
 * Kinesis landing: an ingestion reads a Kinesis connection's stream on a cluster and lands
 * its records as Parquet files in S3. Users start, list, show and stop ingestions; the
 * cluster's worker claims them, records an intent before each file and commits each
 * shard's checkpoint after the file is written, so a crash neither loses nor duplicates.
 */
import { z } from 'zod';
import { idSchema, pageQuerySchema, pageSchema, timestampSchema } from './common.ts';
import { clusterIdSchema } from './compute.ts';
import { connectionNameSchema } from './connections.ts';
import { defineContract } from './contract.ts';
import { workspaceParamsSchema } from './workspace-schemas.ts';

const V1 = '/api/v1';

export const ingestionIdSchema = idSchema('ingestion');

/** Where reading starts in each shard that has no checkpoint yet. */
export const startingPositionSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('TRIM_HORIZON') }),
  /** Records that arrive from the start of the ingestion on (recorded as its start time). */
  z.strictObject({ type: z.literal('LATEST') }),
  z.strictObject({ type: z.literal('AT_TIMESTAMP'), timestamp: timestampSchema }),
]);

/** A CSV column name (also a Parquet column). */
const columnNameSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z][A-Za-z0-9_]*$/, { error: 'letters, digits and _ only, a letter first' })
  .refine((n) => !n.startsWith('_'), { error: 'must not start with _' });

export const ingestionFormatSchema = z.discriminatedUnion('type', [
  /** Each record is one JSON object; its keys become columns. */
  z.strictObject({ type: z.literal('json') }),
  /** Each record is one CSV line with these columns, in order (values are strings). */
  z.strictObject({
    type: z.literal('csv'),
    columns: z.array(columnNameSchema).min(1).max(1000),
    delimiter: z.string().length(1).optional(),
  }),
]);

export const INGESTION_MODES = ['one-shot', 'continuous'] as const;
export const INGESTION_STATES = ['Pending', 'Running', 'Completed', 'Stopped', 'Failed'] as const;
export const ingestionStateSchema = z.enum(INGESTION_STATES);
export type IngestionState = (typeof INGESTION_STATES)[number];
/** States an ingestion never leaves. */
export const FINISHED_INGESTION_STATES: readonly IngestionState[] = [
  'Completed',
  'Stopped',
  'Failed',
];

/** The prefix of landed files inside the workspace's results bucket. */
export const INGESTION_RESULTS_PREFIX = 'ingestions/';

export const startIngestionBodySchema = z.strictObject({
  /** The cluster whose worker reads the stream. */
  clusterId: clusterIdSchema,
  /** A Kinesis connection of the workspace. */
  connection: connectionNameSchema,
  startingPosition: startingPositionSchema.default({ type: 'TRIM_HORIZON' }),
  format: ingestionFormatSchema.default({ type: 'json' }),
  /** A file is written every N records of a shard … */
  flushRecords: z.number().int().min(1).max(1_000_000).default(10_000),
  /** … or S seconds after its first record, whichever comes first. */
  flushSeconds: z.number().int().min(1).max(3600).default(60),
  /** `one-shot` ends once every shard is caught up; `continuous` until stopped. */
  mode: z.enum(INGESTION_MODES).default('one-shot'),
  /**
   * An S3 connection of the workspace with a write prefix (and a role): files land under
   * `<write prefix><ingestion id>/` with its role, narrowed to writing there. Absent: the
   * workspace's results bucket, with the Worker role.
   */
  destination: connectionNameSchema.optional(),
});

/** One shard's progress. */
export const ingestionShardSchema = z.object({
  shardId: z.string(),
  parentShardIds: z.array(z.string()),
  /** The last sequence number landed in a committed file (null: none yet). */
  lastSequenceNumber: z.string().nullable(),
  records: z.number().int(),
  files: z.number().int(),
  /** Closed and read to its end: its children may start. */
  finished: z.boolean(),
});

export const ingestionSchema = z.object({
  id: ingestionIdSchema,
  workspaceId: z.string(),
  clusterId: z.string(),
  connection: z.string(),
  stream: z.string(),
  startingPosition: startingPositionSchema,
  format: ingestionFormatSchema,
  flushRecords: z.number().int(),
  flushSeconds: z.number().int(),
  mode: z.enum(INGESTION_MODES),
  /** `s3://bucket/prefix/`: the landed table (`*.parquet` under it). */
  location: z.string(),
  /** The S3 connection landed into (null: the workspace's results bucket). */
  destination: z.string().nullable(),
  state: ingestionStateSchema,
  stateReason: z.string().nullable(),
  records: z.number().int(),
  files: z.number().int(),
  shards: z.array(ingestionShardSchema),
  /** The node that holds the ingestion, while one does. */
  nodeId: z.string().nullable(),
  createdBy: z.string(),
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
  finishedAt: timestampSchema.nullable(),
});

export const ingestionParamsSchema = z.strictObject({
  workspaceId: workspaceParamsSchema.shape.workspaceId,
  ingestionId: ingestionIdSchema,
});

export const waitIngestionQuerySchema = z.strictObject({
  waitSeconds: z.coerce.number().int().min(0).max(60).optional(),
});

// ---- worker ↔ control plane ----

const temporaryCredentialsSchema = z.object({
  accessKeyId: z.string(),
  secretAccessKey: z.string(),
  sessionToken: z.string().optional(),
  expiration: timestampSchema.optional(),
});

/** A file announced before it is written: a rewrite after a crash lands exactly these records. */
export const ingestionIntentSchema = z.object({
  firstSequenceNumber: z.string().regex(/^\d{1,128}$/),
  lastSequenceNumber: z.string().regex(/^\d{1,128}$/),
  records: z.number().int().min(1),
  key: z.string().min(1).max(1024),
});

/** A shard's checkpoint as the worker resumes from it. */
export const nodeIngestionShardSchema = z.object({
  shardId: z.string(),
  lastSequenceNumber: z.string().nullable(),
  /** The file announced and perhaps written but not committed: rewrite it first. */
  pending: ingestionIntentSchema.nullable(),
  finished: z.boolean(),
});

/** An ingestion as its node runs it (credentials for this node only, never shown to users). */
export const nodeIngestionSchema = z.object({
  id: ingestionIdSchema,
  streamArn: z.string(),
  region: z.string(),
  /** The Kinesis connection's role session (assumed by the control plane's broker). */
  kinesisCredentials: temporaryCredentialsSchema,
  bucket: z.string(),
  prefix: z.string(),
  /**
   * Landing into an S3 connection: its role session, narrowed to writing under `prefix`,
   * and the bucket's region. Absent: the results bucket, written with the Worker role.
   */
  destination: z.object({ region: z.string(), credentials: temporaryCredentialsSchema }).optional(),
  /** The position for a shard without a checkpoint (LATEST is resolved to the start time). */
  startingPosition: z.discriminatedUnion('type', [
    z.object({ type: z.literal('TRIM_HORIZON') }),
    z.object({ type: z.literal('AT_TIMESTAMP'), timestamp: timestampSchema }),
  ]),
  format: ingestionFormatSchema,
  flushRecords: z.number().int(),
  flushSeconds: z.number().int(),
  mode: z.enum(INGESTION_MODES),
  shards: z.array(nodeIngestionShardSchema),
});

export const nodeIngestionsAnswerSchema = z.object({
  /** The ingestions this node holds now (the claim is renewed by each call). */
  ingestions: z.array(nodeIngestionSchema),
  /** How long the claim lasts without another call. */
  leaseSeconds: z.number().int(),
});

export const nodeIngestionParamsSchema = z.strictObject({ ingestionId: ingestionIdSchema });

/** A shard's step: announce a file, commit it (after it is written), or finish the shard. */
export const ingestionShardStepSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('intent'),
    shardId: z.string().min(1).max(128),
    parentShardIds: z.array(z.string().max(128)).max(2),
    intent: ingestionIntentSchema,
  }),
  z.strictObject({
    kind: z.literal('commit'),
    shardId: z.string().min(1).max(128),
    intent: ingestionIntentSchema,
  }),
  z.strictObject({
    kind: z.literal('finished'),
    shardId: z.string().min(1).max(128),
    parentShardIds: z.array(z.string().max(128)).max(2),
  }),
]);

/** How an ingestion ended on its node. */
export const ingestionOutcomeBodySchema = z.strictObject({
  state: z.enum(['Completed', 'Failed']),
  reason: z.string().max(2000).nullable(),
});

export const ingestionContracts = {
  'ingestions.start': defineContract({
    method: 'POST',
    path: `${V1}/workspaces/:workspaceId/ingestions`,
    summary: "Start landing a Kinesis connection's stream into Parquet on a cluster",
    tag: 'ingestions',
    params: workspaceParamsSchema,
    body: startIngestionBodySchema,
    status: 201,
    response: ingestionSchema,
    idempotent: true,
    errors: [409],
  }),
  'ingestions.list': defineContract({
    method: 'GET',
    path: `${V1}/workspaces/:workspaceId/ingestions`,
    summary: "A workspace's ingestions, newest first",
    tag: 'ingestions',
    params: workspaceParamsSchema,
    query: pageQuerySchema,
    status: 200,
    response: pageSchema(ingestionSchema),
  }),
  'ingestions.get': defineContract({
    method: 'GET',
    path: `${V1}/workspaces/:workspaceId/ingestions/:ingestionId`,
    summary: 'An ingestion and its per-shard checkpoints (waitSeconds: until it finishes)',
    tag: 'ingestions',
    params: ingestionParamsSchema,
    query: waitIngestionQuerySchema,
    status: 200,
    response: ingestionSchema,
  }),
  'ingestions.stop': defineContract({
    method: 'POST',
    path: `${V1}/workspaces/:workspaceId/ingestions/:ingestionId/stop`,
    summary: 'Stop an ingestion (files already committed stay; nothing half-written counts)',
    tag: 'ingestions',
    params: ingestionParamsSchema,
    status: 200,
    response: ingestionSchema,
  }),
  'nodes.ingestions.claim': defineContract({
    method: 'GET',
    path: `${V1}/nodes/ingestions`,
    summary:
      "A worker node claims (and keeps) its cluster's ingestions (header x-ferry-node-token)",
    tag: 'nodes',
    status: 200,
    response: nodeIngestionsAnswerSchema,
    errors: [401, 403, 409],
    public: true,
  }),
  'nodes.ingestions.shard': defineContract({
    method: 'PUT',
    path: `${V1}/nodes/ingestions/:ingestionId/shards`,
    summary: "A worker node announces, commits or finishes a shard's file (fenced by its claim)",
    tag: 'nodes',
    params: nodeIngestionParamsSchema,
    body: ingestionShardStepSchema,
    status: 204,
    errors: [401, 403, 409],
    public: true,
  }),
  'nodes.ingestions.outcome': defineContract({
    method: 'PUT',
    path: `${V1}/nodes/ingestions/:ingestionId/outcome`,
    summary: 'A worker node reports how an ingestion ended (fenced by its claim)',
    tag: 'nodes',
    params: nodeIngestionParamsSchema,
    body: ingestionOutcomeBodySchema,
    status: 204,
    errors: [401, 403, 409],
    public: true,
  }),
} as const;

export type Ingestion = z.infer<typeof ingestionSchema>;
export type StartIngestionBody = z.input<typeof startIngestionBodySchema>;
export type NodeIngestion = z.infer<typeof nodeIngestionSchema>;
export type NodeIngestionsAnswer = z.infer<typeof nodeIngestionsAnswerSchema>;
export type IngestionIntent = z.infer<typeof ingestionIntentSchema>;
export type IngestionShardStep = z.infer<typeof ingestionShardStepSchema>;
export type IngestionFormat = z.infer<typeof ingestionFormatSchema>;
